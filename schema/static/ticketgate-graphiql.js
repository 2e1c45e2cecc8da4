// GraphiQL for ticketgate (schema/graphiql.py): every file served by ticketgate itself, no
// inline script (the page's CSP forbids it), the Headers tab kept in memory only (a token
// never reaches localStorage), and subscriptions over graphql-transport-ws with the Headers
// tab's credentials sent in connection_init.
(function () {
  "use strict";
  const endpoint = new URL(document.body.dataset.endpoint, window.location.href);
  const socketUrl = new URL(endpoint.href);
  socketUrl.protocol = endpoint.protocol === "https:" ? "wss:" : "ws:";
  const http = GraphiQL.createFetcher({ url: endpoint.href });
  let socket = null;
  let socketHeaders = null;

  function subscriptions(headers) {
    const key = JSON.stringify(headers || {});
    if (socket === null || key !== socketHeaders) {
      if (socket !== null) socket.dispose();
      socket = graphqlWs.createClient({ url: socketUrl.href, connectionParams: headers || {} });
      socketHeaders = key;
    }
    return socket;
  }

  function isSubscription(params, options) {
    const document = options && options.documentAST;
    if (!document) return false;
    const operations = document.definitions.filter((d) => d.kind === "OperationDefinition");
    const chosen = params.operationName
      ? operations.find((d) => d.name && d.name.value === params.operationName)
      : operations[0];
    return Boolean(chosen) && chosen.operation === "subscription";
  }

  function fetcher(params, options) {
    if (!isSubscription(params, options)) return http(params, options);
    return subscriptions(options && options.headers).iterate(params);
  }

  const example = [
    "# Log in, then put the token in the Headers tab below:",
    '#   {"Authorization": "Bearer <token>"}',
    "# Headers stay in this tab only (nothing is saved in the browser).",
    "",
    "mutation Login {",
    '  login(input: {username: "agent", password: "ticketgate-demo"}) { token }',
    "}",
    "",
    "query Tickets {",
    "  tickets(first: 5) { totalCount edges { node { number title status } } }",
    "}",
    "",
  ].join("\n");

  ReactDOM.createRoot(document.getElementById("graphiql")).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: example,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: true,
      inputValueDeprecation: true,
    }),
  );
})();
