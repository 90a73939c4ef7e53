// The page's few behaviours, without inline script (the CSP allows scripts from this site only).
// <button data-print> prints the page.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
  }
});
