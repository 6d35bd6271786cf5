import type { Config } from 'tailwindcss';
import colors from 'tailwindcss/colors';

/**
 * Tailwind 3.4 exists here for Tremor's charts and cards (Tremor 3 is styled with Tailwind
 * classes). Preflight stays off: the rest of the app is styled by `src/app/globals.css`,
 * and Tailwind's reset would restyle every existing form and table.
 */
const chartColors = ['blue', 'emerald', 'amber', 'rose', 'violet', 'cyan', 'gray', 'orange'];

const config: Config = {
  content: ['./src/**/*.{ts,tsx}', '../../node_modules/@tremor/**/*.{js,ts,jsx,tsx}'],
  corePlugins: { preflight: false },
  theme: {
    transparent: 'transparent',
    current: 'currentColor',
    extend: {
      colors: {
        tremor: {
          brand: {
            faint: colors.amber[50],
            muted: colors.amber[200],
            subtle: colors.amber[400],
            DEFAULT: colors.amber[700],
            emphasis: colors.amber[800],
            inverted: colors.white,
          },
          background: {
            muted: colors.gray[50],
            subtle: colors.gray[100],
            DEFAULT: colors.white,
            emphasis: colors.gray[700],
          },
          border: { DEFAULT: colors.gray[200] },
          ring: { DEFAULT: colors.gray[200] },
          content: {
            subtle: colors.gray[400],
            DEFAULT: colors.gray[600],
            emphasis: colors.gray[700],
            strong: colors.gray[900],
            inverted: colors.white,
          },
        },
      },
      boxShadow: {
        'tremor-input': '0 1px 2px 0 rgb(0 0 0 / 0.05)',
        'tremor-card': '0 1px 3px 0 rgb(0 0 0 / 0.1), 0 1px 2px -1px rgb(0 0 0 / 0.1)',
        'tremor-dropdown': '0 4px 6px -1px rgb(0 0 0 / 0.1), 0 2px 4px -2px rgb(0 0 0 / 0.1)',
      },
      borderRadius: {
        'tremor-small': '0.375rem',
        'tremor-default': '0.5rem',
        'tremor-full': '9999px',
      },
      fontSize: {
        'tremor-label': ['0.75rem', { lineHeight: '1rem' }],
        'tremor-default': ['0.875rem', { lineHeight: '1.25rem' }],
        'tremor-title': ['1.125rem', { lineHeight: '1.75rem' }],
        'tremor-metric': ['1.875rem', { lineHeight: '2.25rem' }],
      },
    },
  },
  // Chart colours are picked at run time (`colors={[…]}`), so no source file names the
  // classes: keep the ones Tremor builds for them.
  safelist: chartColors.flatMap((color) =>
    ['bg', 'text', 'border', 'ring', 'stroke', 'fill'].flatMap((kind) => [
      `${kind}-${color}-500`,
      `${kind}-${color}-700`,
      `${kind}-${color}-200`,
    ]),
  ),
};

export default config;
