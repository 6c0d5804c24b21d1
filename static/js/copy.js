// Copy buttons (the recovery codes): a button[data-copy] copies the text of the elements its
// selector names, one a line, and says so in its data-status element. A static file because
// the Content-Security-Policy allows no inline script. The button stays hidden where the
// browser gives a page no clipboard (plain HTTP but for localhost).
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  for (const button of document.querySelectorAll("button[data-copy]")) {
    if (!(navigator.clipboard && window.isSecureContext)) continue;
    const status = document.getElementById(button.dataset.status);
    button.hidden = false;
    button.addEventListener("click", async function () {
      const text = Array.from(document.querySelectorAll(button.dataset.copy), (e) => e.textContent.trim()).join("\n");
      try {
        await navigator.clipboard.writeText(text + "\n");
        if (status) status.textContent = "Copied.";
      } catch (error) {
        if (status) status.textContent = "The browser did not let this page copy; select the codes and copy them.";
      }
    });
  }
});
