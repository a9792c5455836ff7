/** How errors refer to the `--config` file whose bots and agents are read-only. */
export function configFileName(file: string | undefined): string {
  return file ? `the config file ${file}` : 'the config file';
}
