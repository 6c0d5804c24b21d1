// Passkeys (WebAuthn) for Gatehouse: add one on /two-factor, use one at /login and /login/code.
// A static file because the Content-Security-Policy allows no inline script. Each button names
// its endpoints in data- attributes; the page's form supplies the CSRF token.
"use strict";

(function () {
  function b64urlToBuffer(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
    return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)).buffer;
  }

  function bufferToB64url(buffer) {
    const bytes = new Uint8Array(buffer);
    let text = "";
    for (const b of bytes) text += String.fromCharCode(b);
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(json) {
    const o = structuredClone(json);
    o.challenge = b64urlToBuffer(o.challenge);
    o.user.id = b64urlToBuffer(o.user.id);
    o.excludeCredentials = (o.excludeCredentials || []).map((c) => ({ ...c, id: b64urlToBuffer(c.id) }));
    return o;
  }

  function requestOptions(json) {
    const o = structuredClone(json);
    o.challenge = b64urlToBuffer(o.challenge);
    o.allowCredentials = (o.allowCredentials || []).map((c) => ({ ...c, id: b64urlToBuffer(c.id) }));
    return o;
  }

  function credentialJSON(credential) {
    const r = credential.response;
    const response = { clientDataJSON: bufferToB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = bufferToB64url(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = bufferToB64url(r.authenticatorData);
      response.signature = bufferToB64url(r.signature);
      response.userHandle = r.userHandle ? bufferToB64url(r.userHandle) : null;
    }
    return JSON.stringify({
      id: credential.id, rawId: bufferToB64url(credential.rawId), type: credential.type, response: response,
      clientExtensionResults: credential.getClientExtensionResults(),
    });
  }

  // An error in the status box under the button; `calm` makes it a hint (nothing went wrong).
  function say(button, text, calm) {
    const box = document.getElementById(button.dataset.status);
    if (box) {
      box.textContent = text;
      box.className = calm ? "hint" : "error";
      box.setAttribute("role", calm ? "status" : "alert");
      box.hidden = !text;
    }
  }

  // An error the server tied to a field ({"field": its name}): shown at that field as the pages
  // do it (templates/_forms.html): before the input, which points to it and takes the focus.
  function sayAtField(form, name, text) {
    const input = form.elements.namedItem(name);
    if (!(input instanceof HTMLInputElement) || !input.id) return false;
    let box = document.getElementById(input.id + "-error");
    if (!box) {
      box = document.createElement("p");
      box.className = "field-error";
      box.id = input.id + "-error";
      input.before(box);
    }
    box.textContent = text;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", box.id);
    input.focus();
    return true;
  }

  function clearFieldErrors(form) {
    for (const box of form.querySelectorAll("p.field-error")) box.remove();
    for (const input of form.querySelectorAll("[aria-invalid]")) {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    }
  }

  // Why this page cannot use passkeys, or null when it can. WebAuthn needs a secure context
  // (HTTPS, or http://localhost) and a host name as the relying party: never an IP address.
  function unusable() {
    const host = location.hostname;
    if (/^[0-9.]+$/.test(host) || host.startsWith("[")) {
      if (host === "127.0.0.1" || host === "[::1]") {
        const here = new URL(location.href);
        here.hostname = "localhost";
        return { text: "Passkeys need a host name, not an IP address: open ", link: here.href };
      }
      return { text: "Passkeys need a host name, not an IP address: open Gatehouse by its name." };
    }
    if (!window.isSecureContext) return { text: "Passkeys need HTTPS (or localhost); this page came over plain HTTP." };
    if (!(window.PublicKeyCredential && navigator.credentials)) return { text: "This browser cannot use passkeys." };
    return null;
  }

  function explainUnusable(button, reason) {
    say(button, reason.text, true);
    const box = document.getElementById(button.dataset.status);
    if (box && reason.link) {
      const link = document.createElement("a");
      link.href = reason.link;
      link.textContent = new URL(reason.link).host;
      box.append(link, ".");
    }
  }

  async function post(url, form, body, contentType) {
    const headers = { "X-CSRFToken": form.elements.csrf_token.value, Accept: "application/json" };
    if (contentType) headers["Content-Type"] = contentType;
    const response = await fetch(url, { method: "POST", headers: headers, body: body, credentials: "same-origin" });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (response.status === 429) throw new Error("Too many failed attempts; wait a moment and try again.");
    if (!response.ok) {
      const error = new Error(data.message || "Something went wrong; reload the page and try again.");
      error.field = data.field;
      throw error;
    }
    return data;
  }

  function explain(error, rpId) {
    if (error && error.name === "NotAllowedError") return "The passkey request was cancelled or timed out.";
    if (error && error.name === "InvalidStateError") return "This passkey is already registered.";
    if (error && error.name === "SecurityError") {
      return "Passkeys here belong to " + (rpId || "the portal's own address") + ": open Gatehouse at that address.";
    }
    return (error && error.message) || "The passkey did not work; try again.";
  }

  // "Keep me signed in" on /login applies to a passkey sign-in from the same page.
  function finishURL(button) {
    const url = new URL(button.dataset.finish, window.location.href);
    const remember = document.getElementById("remember");
    if (remember && remember.checked) url.searchParams.set("remember", "1");
    return url.pathname + url.search;
  }

  async function run(button) {
    const form = button.form;
    let rpId = null;
    button.disabled = true;
    say(button, "");
    clearFieldErrors(form);
    try {
      if (button.id === "passkey-add") {
        if (!form.reportValidity()) return;
        const options = await post(button.dataset.options, form, new FormData(form));
        rpId = options.rp && options.rp.id;
        const created = await navigator.credentials.create({ publicKey: creationOptions(options) });
        const done = await post(button.dataset.finish, form, credentialJSON(created), "application/json");
        window.location.assign(done.next);
      } else {
        const options = await post(button.dataset.options, form, null);
        rpId = options.rpId;
        const got = await navigator.credentials.get({ publicKey: requestOptions(options) });
        const done = await post(finishURL(button), form, credentialJSON(got), "application/json");
        window.location.assign(done.next);
      }
    } catch (error) {
      if (!(error && error.field && sayAtField(form, error.field, error.message))) say(button, explain(error, rpId));
    } finally {
      button.disabled = false;
    }
  }

  // Buttons start hidden: without this script (or where passkeys cannot work) they could do
  // nothing. Where they cannot, a calm line says why: most often the address, not the browser.
  document.addEventListener("DOMContentLoaded", function () {
    const reason = unusable();
    for (const id of ["passkey-add", "passkey-verify", "passkey-signin"]) {
      const button = document.getElementById(id);
      if (!button) continue;
      if (reason) {
        explainUnusable(button, reason);
        continue;
      }
      button.hidden = false;
      button.addEventListener("click", function (event) {
        event.preventDefault();
        run(button);
      });
    }
  });
})();
