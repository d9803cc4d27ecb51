/* Starts GraphiQL against the endpoint that served this page: queries and mutations over
   HTTP at the page's own URL, subscriptions over graphql-transport-ws on the same path. */
(function () {
  "use strict";
  var url = window.location.origin + window.location.pathname;
  var fetcher = GraphiQL.createFetcher({
    url: url,
    subscriptionUrl: url.replace(/^http/, "ws"),
  });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true })
  );
})();
