// The export page's "Select all" box, bound here because the policy forbids inline event handlers.
document.addEventListener("change", (event) => {
  if (!event.target.matches(".select-toggle")) {
    return;
  }
  const row = event.target.closest("[resource-index]");
  const index = row ? row.getAttribute("resource-index") : null;
  const boxes = document.querySelectorAll(
    index === null
      ? '.selectable-field-export-row input[type="checkbox"]'
      : `[resource-index="${index}"] input[type="checkbox"]`,
  );
  boxes.forEach((box) => {
    box.checked = event.target.checked;
  });
});
