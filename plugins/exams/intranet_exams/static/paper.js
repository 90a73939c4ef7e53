// Online paper: save each answer as the candidate goes, keep tabs in step, count down, submit at time-out.
// Without this script the form still works: "保存答案" and "交卷" post the whole form.
(function () {
  "use strict";
  var form = document.getElementById("paper-form");
  if (!form) { return; }
  var saveUrl = form.dataset.saveUrl;
  var resultUrl = form.dataset.resultUrl;
  var token = form.querySelector("input[name=csrf_token]").value;
  var status = document.getElementById("paper-status");
  var countdown = document.getElementById("countdown");
  // the server's clock decides; keep the offset between the two clocks
  var offset = Date.parse(form.dataset.now) - Date.now();
  var deadline = Date.parse(form.dataset.deadline);
  var closed = false;

  function say(message, kind) {
    status.hidden = !message;
    status.textContent = message || "";
    status.className = "flash" + (kind ? " flash-" + kind : "");
  }

  function fieldset(qid) { return form.querySelector("fieldset[data-qid='" + qid + "']"); }
  function hidden(qid, name) { return form.querySelector("input[name='" + name + qid + "']"); }

  function answerOf(qid) {
    var picked = [];
    fieldset(qid).querySelectorAll("input[name='q" + qid + "']").forEach(function (input) {
      if (input.checked) { picked.push(input.value); }
    });
    return picked.sort().join("");
  }

  function show(qid, answer) {
    fieldset(qid).querySelectorAll("input[name='q" + qid + "']").forEach(function (input) {
      input.checked = answer.indexOf(input.value) !== -1;
    });
  }

  function mark(qid, text) {
    var el = fieldset(qid).querySelector(".save-state");
    if (el) { el.textContent = text; }
  }

  function reconcile(answers, except) {
    // another tab may have saved other questions: take the newer server state
    Object.keys(answers).forEach(function (qid) {
      if (String(qid) === String(except) || !fieldset(qid)) { return; }
      var rev = hidden(qid, "rev");
      var server = answers[qid];
      if (server.revision > Number(rev.value)) {
        show(qid, server.answer);
        rev.value = server.revision;
        hidden(qid, "seen").value = server.answer;
        mark(qid, "已同步其他窗口的作答");
      }
    });
  }

  function save(qid) {
    if (closed) { return; }
    var answer = answerOf(qid);
    mark(qid, "正在保存…");
    fetch(saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token, "Accept": "application/json"},
      body: JSON.stringify({question_id: Number(qid), answer: answer, revision: Number(hidden(qid, "rev").value)})
    }).then(function (response) {
      return response.json().then(function (data) { return {ok: response.ok, data: data}; });
    }).then(function (reply) {
      var data = reply.data;
      if (!reply.ok) {
        mark(qid, "未保存");
        say(data.error || "保存失败，请重试", "error");
        if (data.closed) { closed = true; window.setTimeout(function () { window.location = data.result_url || resultUrl; }, 1500); }
        return;
      }
      hidden(qid, "rev").value = data.saved.revision;
      hidden(qid, "seen").value = data.saved.answer;
      mark(qid, "已保存");
      say(data.message, data.message ? "warning" : "");
      reconcile(data.answers, qid);
    }).catch(function () {
      mark(qid, "网络中断，未保存（恢复后请重新选择或点“保存答案”）");
    });
  }

  function unanswered() {
    var numbers = [];
    form.querySelectorAll("fieldset[data-qid]").forEach(function (box) {
      if (!answerOf(box.dataset.qid)) { numbers.push(box.dataset.number); }
    });
    return numbers;
  }

  var answeredCount = document.getElementById("answered-count");
  var total = form.querySelectorAll("fieldset[data-qid]").length;
  function count() {
    if (answeredCount) { answeredCount.textContent = "· 已答 " + (total - unanswered().length) + " / " + total + " 题"; }
  }
  count();

  form.addEventListener("change", function (event) {
    var box = event.target.closest("fieldset[data-qid]");
    if (box) { save(box.dataset.qid); count(); }
  });

  // 交卷 asks first, naming the questions still unanswered
  form.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    if (closed || !submitter || submitter.id !== "submit-paper") { return; }
    var missing = unanswered();
    var message = missing.length
      ? "第" + missing.join("、") + "题未作答（共 " + missing.length + " 题）。交卷后不能再修改，确定交卷吗？"
      : "全部 " + total + " 题均已作答。交卷后不能再修改，确定交卷吗？";
    if (!window.confirm(message)) { event.preventDefault(); }
  });

  function tick() {
    var left = Math.max(0, deadline - (Date.now() + offset));
    var minutes = Math.floor(left / 60000);
    var seconds = Math.floor((left % 60000) / 1000);
    countdown.textContent = minutes + " 分 " + (seconds < 10 ? "0" : "") + seconds + " 秒";
    if (left <= 0 && !closed) {
      closed = true;
      say("考试时间已到，正在交卷…", "warning");
      window.location = resultUrl;  // the server grades the paper at its deadline
      return;
    }
    window.setTimeout(tick, 1000);
  }
  tick();
}());
