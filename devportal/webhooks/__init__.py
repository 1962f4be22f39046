"""Webhooks: checking where they may go, signing and sending them, the delivery worker.

Queueing belongs to the change that causes an event (``resolvers.webhook_events.queue_webhook``);
this package only sends what was queued.
"""
