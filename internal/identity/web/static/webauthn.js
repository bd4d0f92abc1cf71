// campus identity: passkeys and security keys (Web Authentication).
//
// Every element with data-webauthn="get" or "create" is a ceremony: its
// button asks identity (data-options, a POST with the form's hidden
// fields) for the options, lets the browser's authenticator answer, puts
// the answer as JSON into the form's "credential" field (data-form) and
// sends the form. Without JavaScript or WebAuthn the elements stay hidden.
"use strict";
(function () {
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function fromB64url(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function toB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function descriptors(list) {
    return (list || []).map(function (c) {
      var d = { type: c.type, id: fromB64url(c.id) };
      if (c.transports) d.transports = c.transports;
      return d;
    });
  }
  // The options as identity sends them (go-webauthn: base64url strings)
  // into what navigator.credentials expects (buffers).
  function publicKey(kind, o) {
    var pk = Object.assign({}, o.publicKey);
    pk.challenge = fromB64url(pk.challenge);
    if (kind === "create") {
      pk.user = Object.assign({}, pk.user, { id: fromB64url(pk.user.id) });
      pk.excludeCredentials = descriptors(pk.excludeCredentials);
    } else {
      pk.allowCredentials = descriptors(pk.allowCredentials);
    }
    return pk;
  }
  function answer(cred) {
    var r = cred.response, out = {
      id: cred.id, rawId: toB64url(cred.rawId), type: cred.type,
      authenticatorAttachment: cred.authenticatorAttachment || undefined,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      response: { clientDataJSON: toB64url(r.clientDataJSON) }
    };
    if (r.attestationObject) {
      out.response.attestationObject = toB64url(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = toB64url(r.authenticatorData);
      out.response.signature = toB64url(r.signature);
      if (r.userHandle) out.response.userHandle = toB64url(r.userHandle);
    }
    return JSON.stringify(out);
  }

  document.querySelectorAll("[data-webauthn]").forEach(function (el) {
    var kind = el.getAttribute("data-webauthn");
    var form = document.getElementById(el.getAttribute("data-form"));
    var button = el.querySelector("button");
    var error = el.querySelector("[data-webauthn-error]");
    if (!form || !button) return;
    el.hidden = false;
    button.addEventListener("click", function () {
      if (form.querySelector("[name=password]") && !form.reportValidity()) return;
      if (error) error.hidden = true;
      button.disabled = true;
      var body = new URLSearchParams();
      form.querySelectorAll("input[type=hidden]").forEach(function (i) { body.append(i.name, i.value); });
      fetch(el.getAttribute("data-options"), {
        method: "POST", credentials: "same-origin", body: body,
        headers: { "Content-Type": "application/x-www-form-urlencoded" }
      }).then(function (res) {
        if (!res.ok) throw new Error("options " + res.status);
        return res.json();
      }).then(function (o) {
        var pk = publicKey(kind, o);
        return kind === "create" ? navigator.credentials.create({ publicKey: pk })
          : navigator.credentials.get({ publicKey: pk, mediation: o.mediation || undefined });
      }).then(function (cred) {
        form.querySelector("[name=credential]").value = answer(cred);
        form.submit();
      }).catch(function () {
        button.disabled = false;
        if (error) error.hidden = false;
      });
    });
  });
})();
