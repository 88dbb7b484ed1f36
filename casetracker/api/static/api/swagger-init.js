"use strict";
// Start-up script of the API documentation page (/api/docs/). It is a file, not the inline or
// view-rendered script drf-spectacular offers, so the page runs under the Content Security
// Policy without 'unsafe-inline' scripts. The schema sits beside the page: /api/schema/.
window.ui = SwaggerUIBundle({
  url: new URL("../schema/?format=json", document.baseURI).href,
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  // Swagger UI would otherwise fetch a badge from an outside validator host.
  validatorUrl: null,
});
