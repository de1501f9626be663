/* Check-in on a phone: scan a ticket's QR code with the camera or from a photo, and keep
   working when the network drops. Without JavaScript the page's plain form still works.

   Check-ins that cannot reach the server are kept in localStorage and sent when the
   network is back; the server answers a repeated ticket with "already checked in", which
   the queue treats as done, so nobody is counted twice. */
(function () {
  "use strict";
  var root = document.getElementById("checkin-app");
  if (!root) return;
  var endpoint = root.dataset.endpoint;
  var csrf = root.dataset.csrf;
  var key = "openday-checkins-" + root.dataset.event;
  var status = document.getElementById("checkin-status");
  var pending = document.getElementById("checkin-pending");
  var video = document.getElementById("checkin-video");
  var canvas = document.createElement("canvas");
  var ctx = canvas.getContext("2d", { willReadFrequently: true });
  Array.prototype.forEach.call(root.querySelectorAll(".js-only"), function (el) {
    el.style.display = "flex";
  });
  var lastCode = "";
  var lastAt = 0;

  function queue() {
    try { return JSON.parse(localStorage.getItem(key) || "[]"); } catch (e) { return []; }
  }
  function save(items) {
    localStorage.setItem(key, JSON.stringify(items));
    pending.textContent = items.length ? "待上传 " + items.length + " 条（网络恢复后自动上传）" : "";
  }
  function say(text, ok) {
    status.textContent = text;
    status.className = "msg " + (ok ? "msg-success" : "msg-error");
  }
  function send(code) {
    return fetch(endpoint, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ ticket_code: code })
    }).then(function (r) { return r.json().then(function (body) { return { status: r.status, body: body }; }); });
  }
  function checkIn(code, fromCamera) {
    code = (code || "").trim().toUpperCase();
    if (!code) return;
    var now = Date.now();
    // The camera sees one ticket many times a second; typed or photographed codes always go.
    if (fromCamera && code === lastCode && now - lastAt < 3000) return;
    lastCode = code; lastAt = now;
    send(code).then(function (r) {
      say(r.body.message, r.status === 201);
      if (r.body.counters) renderCounters(r.body.counters);
    }).catch(function () {
      var items = queue();
      if (items.indexOf(code) < 0) items.push(code);
      save(items);
      say("网络不通，已在本机记下票号 " + code + "，联网后自动上传。", true);
    });
  }
  function flush() {
    var items = queue();
    if (!items.length) return;
    var code = items[0];
    send(code).then(function (r) {
      // Done when accepted, already in, or refused for good (unknown ticket): drop it.
      var rest = queue().filter(function (c) { return c !== code; });
      save(rest);
      if (r.status !== 201 && r.body.code !== "already_checked_in") say(code + "：" + r.body.message, false);
      if (r.body.counters) renderCounters(r.body.counters);
      if (rest.length) flush();
    }).catch(function () { /* still offline; try again later */ });
  }
  function renderCounters(rows) {
    var list = document.getElementById("checkin-counters");
    if (!list) return;
    list.innerHTML = "";
    rows.forEach(function (c) {
      var li = document.createElement("li");
      var strong = document.createElement("strong");
      strong.textContent = c.name;
      var div = document.createElement("div");
      div.textContent = c.arrived + " / " + c.registered;
      li.appendChild(strong); li.appendChild(div);
      list.appendChild(li);
    });
  }
  function decode(source, width, height) {
    canvas.width = width; canvas.height = height;
    ctx.drawImage(source, 0, 0, width, height);
    var image = ctx.getImageData(0, 0, width, height);
    var found = window.jsQR(image.data, width, height);
    return found ? found.data : "";
  }

  document.getElementById("checkin-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var input = document.getElementById("id_ticket_code");
    checkIn(input.value);
    input.value = "";
    input.focus();
  });
  document.getElementById("checkin-photo").addEventListener("change", function (event) {
    var file = event.target.files[0];
    if (!file) return;
    var img = new Image();
    img.onload = function () {
      var code = decode(img, img.naturalWidth, img.naturalHeight);
      if (code) { checkIn(code); } else { say("没有在图片中识别出二维码，请重拍或输入票号。", false); }
      URL.revokeObjectURL(img.src);
    };
    img.src = URL.createObjectURL(file);
    event.target.value = "";
  });
  document.getElementById("checkin-camera").addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      say("此浏览器不能使用摄像头，请用“从照片识别”或输入票号。", false);
      return;
    }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      (function tick() {
        if (video.readyState === video.HAVE_ENOUGH_DATA) {
          var code = decode(video, video.videoWidth, video.videoHeight);
          if (code) checkIn(code, true);
        }
        requestAnimationFrame(tick);
      })();
    }).catch(function () { say("无法打开摄像头（可能未授权），请用“从照片识别”或输入票号。", false); });
  });
  window.addEventListener("online", flush);
  setInterval(flush, 15000);
  save(queue());
  flush();
})();
