/** The package's version, kept in step with package.json (`version.test.ts` checks). */
export const VERSION = '0.1.0';
