// A small GraphQL client: queries and mutations over HTTP, subscriptions over
// WebSocket with the graphql-transport-ws protocol. No dependencies, no build step.
// The token goes in the Authorization header, and in the WebSocket's
// connection_init payload (browsers cannot set headers on a WebSocket).

export class GraphQLError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

export class GraphQLClient {
  constructor(url) {
    this.url = url;
    this.token = null;
  }

  async request(query, variables = {}) {
    const headers = { "Content-Type": "application/json" };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    let response;
    try {
      response = await fetch(this.url, {
        method: "POST",
        headers,
        body: JSON.stringify({ query, variables }),
      });
    } catch {
      // A network failure, or a CORS refusal: the browser tells the page no more.
      throw new GraphQLError("The portal cannot be reached.", "NETWORK");
    }
    const answer = await response.json().catch(() => ({}));
    const error = answer.errors && answer.errors[0];
    if (error) throw new GraphQLError(error.message, error.extensions?.code);
    if (!response.ok) throw new GraphQLError(`The portal answered ${response.status}.`, "HTTP");
    return answer.data;
  }

  // Calls onData with each event's data; on a dropped connection, reconnects (waiting
  // 1 s, then twice as long each time, up to 30 s) and calls onReconnect, since events
  // sent meanwhile are lost: refetch what they would have changed. Returns stop().
  subscribe(query, variables, { onData, onError = () => {}, onReconnect = () => {} }) {
    const wsUrl = this.url.replace(/^http/, "ws");
    let socket = null;
    let stopped = false;
    let delay = 1000;
    const open = (reconnecting) => {
      socket = new WebSocket(wsUrl, "graphql-transport-ws");
      const send = (message) => socket.send(JSON.stringify(message));
      socket.onopen = () => {
        const payload = this.token ? { Authorization: `Bearer ${this.token}` } : {};
        send({ type: "connection_init", payload });
      };
      socket.onmessage = (message) => {
        const data = JSON.parse(message.data);
        if (data.type === "connection_ack") {
          delay = 1000;
          send({ id: "1", type: "subscribe", payload: { query, variables } });
          if (reconnecting) onReconnect();
        } else if (data.type === "ping") {
          send({ type: "pong" });
        } else if (data.type === "next") {
          const error = data.payload.errors && data.payload.errors[0];
          if (error) onError(new GraphQLError(error.message, error.extensions?.code));
          else onData(data.payload.data);
        } else if (data.type === "error") {
          stopped = true;
          onError(new GraphQLError(data.payload[0]?.message, data.payload[0]?.extensions?.code));
        } else if (data.type === "complete") {
          stopped = true;
          socket.close(1000);
        }
      };
      socket.onclose = (event) => {
        if (stopped) return;
        if (event.code === 4403) {
          // The token was refused: reconnecting would not help.
          onError(new GraphQLError("Live updates need a log-in.", "UNAUTHENTICATED"));
          return;
        }
        setTimeout(() => stopped || open(true), delay);
        delay = Math.min(delay * 2, 30000);
      };
    };
    open(false);
    return () => {
      stopped = true;
      if (socket && socket.readyState === WebSocket.OPEN) {
        socket.send(JSON.stringify({ id: "1", type: "complete" }));
        socket.close(1000);
      }
    };
  }
}
