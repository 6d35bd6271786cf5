// Tailwind (for Tremor's components) runs as a PostCSS plugin in `next build`.
export default { plugins: { tailwindcss: {} } };
