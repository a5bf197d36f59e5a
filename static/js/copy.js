// "Copy" buttons: <button data-copy="#input-id" hidden>. Shown only where the clipboard
// API exists, so without JavaScript the read-only field is still there to select.
document.querySelectorAll("[data-copy]").forEach((button) => {
  if (!navigator.clipboard) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const field = document.querySelector(button.dataset.copy);
    try {
      await navigator.clipboard.writeText(field.value);
      button.textContent = "Copied";
    } catch {
      field.select();
    }
  });
});
