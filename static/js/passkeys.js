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

  function say(button, text) {
    const box = document.getElementById(button.dataset.status);
    if (box) {
      box.textContent = text;
      box.hidden = !text;
    }
  }

  async function post(url, form, body, contentType) {
    const headers = { "X-CSRFToken": form.elements.csrf_token.value, Accept: "application/json" };
    if (contentType) headers["Content-Type"] = contentType;
    const response = await fetch(url, { method: "POST", headers: headers, body: body, credentials: "same-origin" });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (response.status === 429) throw new Error("Too many failed attempts; wait a moment and try again.");
    if (!response.ok) throw new Error(data.message || "Something went wrong; reload the page and try again.");
    return data;
  }

  function explain(error) {
    if (error && error.name === "NotAllowedError") return "The passkey request was cancelled or timed out.";
    if (error && error.name === "InvalidStateError") return "This passkey is already registered.";
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
    button.disabled = true;
    say(button, "");
    try {
      if (button.id === "passkey-add") {
        if (!form.reportValidity()) return;
        const options = await post(button.dataset.options, form, new FormData(form));
        const created = await navigator.credentials.create({ publicKey: creationOptions(options) });
        const done = await post(button.dataset.finish, form, credentialJSON(created), "application/json");
        window.location.assign(done.next);
      } else {
        const options = await post(button.dataset.options, form, null);
        const got = await navigator.credentials.get({ publicKey: requestOptions(options) });
        const done = await post(finishURL(button), form, credentialJSON(got), "application/json");
        window.location.assign(done.next);
      }
    } catch (error) {
      say(button, explain(error));
    } finally {
      button.disabled = false;
    }
  }

  // Buttons start hidden: without this script (or without WebAuthn) they could do nothing.
  document.addEventListener("DOMContentLoaded", function () {
    const supported = Boolean(window.PublicKeyCredential && navigator.credentials);
    for (const id of ["passkey-add", "passkey-verify", "passkey-signin"]) {
      const button = document.getElementById(id);
      if (!button) continue;
      if (!supported) {
        say(button, "This browser cannot use passkeys" + (id === "passkey-add" ? "." : "; use your password and code."));
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
