import type { PointKind } from '@anh/domain/tenancy';

/** Spanish (Colombia) first; English second. Keys are the same in both, checked by the type. */
const es = {
  appName: 'ANH Smart Reporter',
  tagline: 'Reporte diario de producción a la ANH, sin falta.',
  signIn: 'Iniciar sesión',
  signOut: 'Cerrar sesión',
  email: 'Correo electrónico',
  password: 'Contraseña',
  badCredentials: 'Correo o contraseña incorrectos.',
  yourCompanies: 'Sus empresas',
  noCompanies: 'Su usuario no pertenece a ninguna empresa todavía.',
  sites: 'Estaciones',
  points: 'Puntos de medición',
  variables: 'variables',
  field: 'Campo',
  role: 'Rol',
  noSites: 'Esta empresa aún no tiene estaciones registradas.',
  roles: {
    admin: 'Administrador',
    engineer: 'Ingeniero de producción',
    operator: 'Operador de campo',
    auditor: 'Auditor',
  },
  pointKinds: {
    well: 'Pozo',
    separator: 'Separador',
    tank: 'Tanque',
    fiscal_liquid_meter: 'Medidor fiscal de líquidos',
    gas_meter: 'Medidor de gas',
    injection: 'Inyección',
    flare: 'Tea',
  } satisfies Record<PointKind, string>,
};

type Dictionary = typeof es;

const en: Dictionary = {
  appName: 'ANH Smart Reporter',
  tagline: 'Daily production reporting to the ANH, never missed.',
  signIn: 'Sign in',
  signOut: 'Sign out',
  email: 'E-mail',
  password: 'Password',
  badCredentials: 'Wrong e-mail or password.',
  yourCompanies: 'Your companies',
  noCompanies: 'Your user does not belong to any company yet.',
  sites: 'Sites',
  points: 'Measurement points',
  variables: 'variables',
  field: 'Field',
  role: 'Role',
  noSites: 'This company has no sites yet.',
  roles: {
    admin: 'Administrator',
    engineer: 'Production engineer',
    operator: 'Field operator',
    auditor: 'Auditor',
  },
  pointKinds: {
    well: 'Well',
    separator: 'Separator',
    tank: 'Tank',
    fiscal_liquid_meter: 'Fiscal liquid meter',
    gas_meter: 'Gas meter',
    injection: 'Injection',
    flare: 'Flare',
  },
};

export type Locale = 'es-CO' | 'en';

export function dictionary(locale: Locale = 'es-CO'): Dictionary {
  return locale === 'en' ? en : es;
}
