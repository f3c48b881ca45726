/**
 * The `${Name}` placeholders of the ASL files, filled by Step Functions' DefinitionSubstitutions
 * in AWS (CDK's `definitionSubstitutions`, infra/asl-definition.ts) and by the local runner before
 * it runs a definition (src/local/step-functions.ts): one reading of them for both.
 */
const PLACEHOLDER = /\$\{([A-Za-z0-9_]+)\}/g;

/** The placeholders a definition names, each once, sorted. */
export function placeholdersOf(definitionText: string): string[] {
  return [...new Set([...definitionText.matchAll(PLACEHOLDER)].map((match) => match[1] as string))].sort();
}

/**
 * Placeholders without a value, and values matching no placeholder: either is a broken
 * deployment (a renamed placeholder would reach AWS as literal text).
 */
export function placeholderMismatch(
  definitionText: string,
  substitutions: Readonly<Record<string, string>>,
): { readonly missing: string[]; readonly unused: string[] } {
  const placeholders = placeholdersOf(definitionText);
  return {
    missing: placeholders.filter((name) => !(name in substitutions)),
    unused: Object.keys(substitutions).filter((name) => !placeholders.includes(name)),
  };
}

/** Fills every placeholder; a missing substitution is an error, as it would be a broken deployment. */
export function substitute(definitionText: string, substitutions: Readonly<Record<string, string>>): string {
  const { missing } = placeholderMismatch(definitionText, substitutions);
  if (missing.length > 0) throw new Error(`no substitution for ${missing.map((m) => `\${${m}}`).join(', ')}`);
  return definitionText.replace(PLACEHOLDER, (_, name: string) => substitutions[name] as string);
}
