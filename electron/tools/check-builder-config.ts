/**
 * Offline check of electron-builder.yml: `npx tsx electron/tools/check-builder-config.ts [file]`.
 *
 * Packaging cannot run on the project's machines (electron-builder downloads Electron), but its
 * configuration check does not need the network. This runs electron-builder's own code for it,
 * from app-builder-lib (the engine behind electron-builder):
 *   - `getConfig`: loads the file the way a real build does (YAML/JSON/JS, `extends`, defaults);
 *   - `validateConfiguration`: the checks a real build starts with, including the JSON-schema
 *     validation against app-builder-lib/scheme.json (ajv, already installed with it).
 * On top of that it enforces our own policy: the Electron fuses from the security checklist.
 */
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorMessage } from '../core/log/error-message';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const DEFAULT_CONFIG_PATH = path.join(repoRoot, 'electron-builder.yml');

/** The fuses every packaged build must flip (electron/README.md, "Security checklist"). */
export const REQUIRED_FUSES: Readonly<Record<string, boolean>> = {
  runAsNode: false,
  enableNodeOptionsEnvironmentVariable: false,
  enableNodeCliInspectArguments: false,
  grantFileProtocolExtraPrivileges: false,
  enableCookieEncryption: true,
  enableEmbeddedAsarIntegrityValidation: true,
  onlyLoadAppFromAsar: true,
};

type BuilderConfig = Record<string, unknown>;

/** The two functions used from app-builder-lib/out/util/config/config.js (typed locally). */
interface AppBuilderConfigModule {
  getConfig(projectDir: string, configPath: string | null, configFromOptions: null): Promise<BuilderConfig>;
  validateConfiguration(
    config: BuilderConfig,
    debugLogger: { readonly isEnabled: boolean; add(key: string, value: unknown): void },
  ): Promise<void>;
}

export type CheckResult =
  { readonly ok: true; readonly config: BuilderConfig } | { readonly ok: false; readonly errors: readonly string[] };

function loadAppBuilderConfigModule(): AppBuilderConfigModule {
  // Resolve app-builder-lib through electron-builder, so the checking code is exactly the one a
  // real `electron-builder` run would use, even if npm nests it instead of hoisting it.
  const requireFromHere = createRequire(import.meta.url);
  const requireFromBuilder = createRequire(requireFromHere.resolve('electron-builder/package.json'));
  return requireFromBuilder('app-builder-lib/out/util/config/config.js') as AppBuilderConfigModule;
}

function checkFuses(config: BuilderConfig): string[] {
  const fuses = config.electronFuses;
  if (fuses === null || typeof fuses !== 'object') return ['electronFuses: missing (the security checklist requires it)'];
  const actual = fuses as Record<string, unknown>;
  return Object.entries(REQUIRED_FUSES)
    .filter(([name, required]) => actual[name] !== required)
    .map(([name, required]) => `electronFuses.${name}: must be ${String(required)}, is ${String(actual[name])}`);
}

/**
 * Load and validate an electron-builder configuration file (resolved against `projectDir`, whose
 * package.json is read as the build would). Never throws for an invalid configuration.
 */
export async function checkBuilderConfig(configPath: string = DEFAULT_CONFIG_PATH, projectDir: string = repoRoot): Promise<CheckResult> {
  const builder = loadAppBuilderConfigModule();
  let config: BuilderConfig;
  try {
    config = await builder.getConfig(projectDir, configPath, null);
  } catch (error) {
    return { ok: false, errors: [`cannot load ${configPath}: ${errorMessage(error)}`] };
  }
  try {
    await builder.validateConfiguration(config, { isEnabled: false, add: () => undefined });
  } catch (error) {
    return { ok: false, errors: [errorMessage(error)] };
  }
  const policyErrors = checkFuses(config);
  if (policyErrors.length > 0) return { ok: false, errors: policyErrors };
  return { ok: true, config };
}

function isMainModule(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) {
  const target = path.resolve(process.argv[2] ?? DEFAULT_CONFIG_PATH);
  const result = await checkBuilderConfig(target);
  if (result.ok) {
    console.log(`OK: ${path.relative(process.cwd(), target) || target} is a valid electron-builder configuration`);
  } else {
    console.error(`INVALID: ${target}\n${result.errors.join('\n')}`);
    process.exitCode = 1;
  }
}
