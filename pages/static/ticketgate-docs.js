// Swagger UI for one door's OpenAPI document (its URL in <body data-spec>); no inline script,
// so the page runs under a strict content security policy.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: document.body.dataset.spec,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
  });
});
