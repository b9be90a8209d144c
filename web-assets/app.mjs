// Progressive enhancement only: every page works without JavaScript. GOV.UK Frontend's components start here
// when the browser supports them (the page template marks the body `govuk-frontend-supported`).
import { initAll } from "/assets/govuk-frontend.min.js";

if (document.body.classList.contains("govuk-frontend-supported")) {
  initAll();
}
