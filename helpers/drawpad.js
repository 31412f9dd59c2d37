function render({ model, el }) {
  const size = model.get("size");
  const canvas = document.createElement("canvas");
  canvas.width = size; canvas.height = size;
  canvas.className = "mnist-pad";
  canvas.setAttribute("aria-label", "drawing pad: draw a digit");
  const clear = document.createElement("button");
  clear.textContent = "Clear"; clear.className = "mnist-pad-clear";
  const ctx = canvas.getContext("2d");
  let current = null;
  function paint() {
    ctx.fillStyle = "black"; ctx.fillRect(0, 0, size, size);
    ctx.strokeStyle = "white"; ctx.lineCap = "round"; ctx.lineJoin = "round";
    ctx.lineWidth = model.get("pen");
    for (const stroke of [...model.get("strokes"), ...(current ? [current] : [])]) {
      ctx.beginPath();
      stroke.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      if (stroke.length === 1) ctx.lineTo(stroke[0][0] + 0.01, stroke[0][1]);
      ctx.stroke();
    }
  }
  function at(event) {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * size / box.width, (event.clientY - box.top) * size / box.height];
  }
  // one pointer draws: a second finger on a touch screen is ignored rather than merged into the stroke
  canvas.addEventListener("pointerdown", (e) => {
    if (!e.isPrimary) return;
    canvas.setPointerCapture(e.pointerId); current = [at(e)]; paint();
  });
  canvas.addEventListener("pointermove", (e) => { if (current && e.isPrimary) { current.push(at(e)); paint(); } });
  function lift() {
    if (!current) return;
    model.set("strokes", [...model.get("strokes"), current]);
    current = null;
    model.save_changes();
  }
  canvas.addEventListener("pointerup", lift);
  canvas.addEventListener("pointercancel", lift);
  clear.addEventListener("click", () => { current = null; model.set("strokes", []); model.save_changes(); });
  model.on("change:strokes", paint);
  model.on("change:pen", paint);
  paint();
  el.append(canvas, clear);
}
export default { render };
