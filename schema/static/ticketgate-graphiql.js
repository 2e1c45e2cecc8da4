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

  // Whether `params` runs a subscription, read from the text it sends: the operations are
  // the keywords outside any braces, once comments and strings are gone (`{ … }` is a query).
  function isSubscription(params) {
    const text = params.query.replace(/"""[\s\S]*?"""|"(?:\\.|[^"\\])*"|#[^\n]*/g, " ");
    const operations = [];
    let depth = 0;
    for (const token of text.matchAll(/[{}]|[_A-Za-z]\w*/g)) {
      if (token[0] === "{") depth += 1;
      else if (token[0] === "}") depth -= 1;
      else if (depth === 0 && /^(query|mutation|subscription)$/.test(token[0])) {
        const name = text.slice(token.index + token[0].length).match(/^\s*([_A-Za-z]\w*)/);
        operations.push({ kind: token[0], name: name && name[1] });
      }
    }
    const chosen = params.operationName
      ? operations.find((o) => o.name === params.operationName)
      : operations[0];
    return Boolean(chosen) && chosen.kind === "subscription";
  }

  function fetcher(params, options) {
    if (!isSubscription(params)) return http(params, options);
    return subscriptions(options && options.headers).iterate(params);
  }

  // GraphiQL 3 saves the headers of every history entry despite shouldPersistHeaders: false;
  // this storage drops them before anything reaches localStorage.
  const withoutHeaders = (key, value) => {
    if (!/^graphiql:(queries|favorites)$/.test(key)) return value;
    const saved = JSON.parse(value);
    for (const entry of saved.queries || []) delete entry.headers;
    return JSON.stringify(saved);
  };
  const storage = {
    getItem: (key) => window.localStorage.getItem(key),
    setItem: (key, value) => window.localStorage.setItem(key, withoutHeaders(key, value)),
    removeItem: (key) => window.localStorage.removeItem(key),
    clear: () => window.localStorage.clear(),
    get length() {
      return window.localStorage.length;
    },
  };

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
      storage: storage,
      defaultEditorToolsVisibility: true,
      inputValueDeprecation: true,
    }),
  );
})();
