"""Webhooks: checking where they may go, signing and sending them, the delivery worker.

Queueing belongs to the change that causes an event (``resolvers.webhooks.queue_webhook``);
this package only sends what was queued.
"""
