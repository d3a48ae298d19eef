// Run by tests/browser_security.rs in a document of http://evil.example:DAEMON_PORT/ (a name
// the browser resolves to 127.0.0.1): each call is same-origin from the browser's view, so it
// carries any header. Returns { call: HTTP status }.
const [SHORT, QID, WAV] = arguments;
const wav = Uint8Array.from(atob(WAV), (c) => c.charCodeAt(0));
const json = { "Content-Type": "application/json", "X-Loaxa-Request": "1" };
const post = (body) => ({ method: "POST", headers: json, body: JSON.stringify(body) });
const form = new FormData();
form.append("topic", "cds");
form.append("title", "Tin giả");
form.append("file", new File([wav], "tin-gia.wav", { type: "audio/wav" }));
const calls = {
  "POST /skip": ["/skip", post(null)],
  "POST /stop": ["/stop", post(null)],
  "POST /reload": ["/reload", post(null)],
  "POST /emergency": ["/emergency", post({ id: SHORT })],
  "POST /play": ["/play", post({ ids: [SHORT], now: true })],
  "POST /queue": ["/queue", post({ ids: [SHORT] })],
  "DELETE /queue": ["/queue/" + QID, { method: "DELETE", headers: json }],
  "PATCH /segments": ["/segments/" + SHORT, { method: "PATCH", headers: json, body: JSON.stringify({ title: "Tin giả" }) }],
  "POST /segments": ["/segments", { method: "POST", headers: { "X-Loaxa-Request": "1" }, body: form }],
  "GET /segments": ["/segments", {}],
  "GET /log": ["/log", {}],
};
return Promise.all(
  Object.entries(calls).map(([name, [path, init]]) =>
    fetch("/api/v1" + path, init).then((r) => [name, r.status], (e) => [name, String(e)]),
  ),
).then(Object.fromEntries);
