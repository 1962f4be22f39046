// devportal's GraphiQL page: the fetcher (HTTP, and graphql-transport-ws for
// subscriptions, both to this server), and a panel that logs an admin in through
// adminLogIn and puts the token in the Headers tab, so no one pastes tokens by hand.
//
// Deliberately not done: persisting the headers (an admin's token) in the browser's
// storage, and reading an operation or headers from the URL (a link could otherwise
// open GraphiQL with a mutation filled in, ready to run).
"use strict";

(function () {
  const h = React.createElement;
  const { useEditorContext, useSchemaContext } = GraphiQL.React;

  const url = new URL(window.location.pathname, window.location.href).toString();
  const subscriptionUrl = url.replace(/^http/, "ws");
  // The Headers tab's JSON goes with every request, and as the connection_init payload
  // of subscriptions (where devportal reads the token).
  const baseFetcher = GraphiQL.createFetcher({ url, subscriptionUrl });
  // The logged-in admin's token, for the schema's introspection: GraphiQL reads the
  // Headers tab for it a render late, so the fetch just after log-in would go without.
  let adminToken = null;
  function fetcher(params, options) {
    const headers = options?.headers || {};
    const hasAuthorization = Object.keys(headers).some((name) => name.toLowerCase() === "authorization");
    if (params.operationName === "IntrospectionQuery" && adminToken && !hasAuthorization) {
      options = { ...options, headers: { ...headers, Authorization: `Bearer ${adminToken}` } };
    }
    return baseFetcher(params, options);
  }

  const ADMIN_LOG_IN = `mutation DevportalAdminLogIn($email: String!, $password: String!) {
  adminLogIn(email: $email, password: $password) { token expiresAt }
}`;
  const LOG_OUT = "mutation DevportalLogOut { logOut }";

  const WELCOME = `# devportal's GraphiQL
#
# Log in as an admin with the panel on the left (the key icon): the token goes
# into the Headers tab below, and is kept nowhere but this tab's memory.
# A developer logs in with the logIn mutation; put its token in the Headers tab
# as {"Authorization": "Bearer <token>"}.
#
# Run: Ctrl-Enter. Complete: Ctrl-Space. Subscriptions run over WebSocket.

{
  portal { name }
}
`;

  async function post(query, variables, token) {
    const headers = { "Content-Type": "application/json" };
    if (token) headers.Authorization = `Bearer ${token}`;
    const response = await fetch(url, {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
    });
    return response.json();
  }

  function KeyIcon() {
    return h(
      "svg",
      { viewBox: "0 0 24 24", width: "1em", height: "1em", "aria-hidden": "true" },
      h("path", {
        fill: "none",
        stroke: "currentColor",
        strokeWidth: "1.5",
        d: "M15 7a4 4 0 1 1-3.9 4.9L4 19v2h3v-2h2v-2h2l1.6-1.6A4 4 0 0 1 15 7z",
      }),
    );
  }

  function LogInPanel() {
    const editors = useEditorContext({ nonNull: true });
    const schema = useSchemaContext({ nonNull: true });
    const [email, setEmail] = React.useState("");
    const [password, setPassword] = React.useState("");
    const [session, setSession] = React.useState(null);
    const [message, setMessage] = React.useState("");

    function applyToken(token) {
      adminToken = token;
      const headers = token ? { Authorization: `Bearer ${token}` } : {};
      editors.headerEditor?.setValue(JSON.stringify(headers, null, 2));
      schema.introspect(); // with DEVPORTAL_INTROSPECTION=admins, only an admin sees the schema
    }

    async function logIn(event) {
      event.preventDefault();
      setMessage("Logging in…");
      try {
        const answer = await post(ADMIN_LOG_IN, { email, password });
        const error = answer.errors && answer.errors[0];
        if (error) {
          setMessage(error.message);
          return;
        }
        const { token, expiresAt } = answer.data.adminLogIn;
        setPassword("");
        setSession({ email, token, expiresAt });
        setMessage("");
        applyToken(token);
      } catch (failure) {
        setMessage(`The server could not be reached: ${failure}`);
      }
    }

    async function logOut() {
      if (session) await post(LOG_OUT, {}, session.token).catch(() => null);
      setSession(null);
      applyToken(null);
    }

    if (session) {
      return h(
        "div",
        { className: "devportal-login" },
        h("div", { className: "graphiql-doc-explorer-title" }, "Admin log-in"),
        h("p", { role: "status" }, `Logged in as ${session.email}.`),
        h("p", null, `The session ends at ${session.expiresAt}.`),
        h("button", { type: "button", className: "graphiql-button", onClick: logOut }, "Log out"),
      );
    }
    const field = (label, type, value, set, autoComplete) =>
      h(
        "label",
        null,
        label,
        h("input", {
          type,
          value,
          required: true,
          autoComplete,
          onChange: (event) => set(event.target.value),
        }),
      );
    return h(
      "form",
      { className: "devportal-login", onSubmit: logIn },
      h("div", { className: "graphiql-doc-explorer-title" }, "Admin log-in"),
      field("Email", "email", email, setEmail, "username"),
      field("Password", "password", password, setPassword, "current-password"),
      h("button", { type: "submit", className: "graphiql-button" }, "Log in"),
      message ? h("p", { role: "alert" }, message) : null,
    );
  }

  const logInPlugin = { title: "Admin log-in", icon: KeyIcon, content: LogInPanel };
  const explorerPlugin = GraphiQLPluginExplorer.explorerPlugin();

  function Page() {
    return h(GraphiQL, {
      fetcher,
      defaultQuery: WELCOME,
      plugins: [logInPlugin, explorerPlugin],
      visiblePlugin: logInPlugin,
      defaultEditorToolsVisibility: true,
      inputValueDeprecation: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(h(Page));
})();
