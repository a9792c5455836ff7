import { useEffect, useState } from 'react';

/** The app version from the main process, or null outside Electron / until it arrives. */
function useAppVersion(): string | null {
  const [version, setVersion] = useState<string | null>(null);
  useEffect(() => {
    const bridge = window.kocoro;
    if (bridge === undefined) return; // plain browser (dev server or headless UI): no bridge
    let cancelled = false;
    bridge.getVersion().then(
      (value) => {
        if (!cancelled) setVersion(value);
      },
      () => {
        // Refused or failed: leave the version out rather than break the page.
      },
    );
    return () => {
      cancelled = true;
    };
  }, []);
  return version;
}

/** Placeholder shell: navigation and empty sections. The real UI comes in a later task. */
export function App() {
  const version = useAppVersion();
  return (
    <div className="shell">
      <header className="shell__header">
        <h1>Kocoro Desktop</h1>
        {version !== null && <p className="shell__version">Version {version}</p>}
      </header>

      <nav className="shell__nav" aria-label="Main">
        <ul>
          <li>
            <span className="shell__nav-group">Capabilities</span>
            <ul>
              <li>
                <a href="#connectors">Connectors</a>
              </li>
            </ul>
          </li>
          <li>
            <a href="#agents">Agents</a>
          </li>
        </ul>
      </nav>

      <main className="shell__main">
        <section id="connectors" aria-labelledby="connectors-heading">
          <h2 id="connectors-heading">Capabilities → Connectors</h2>
          <p>Connect a Lark or Feishu bot. Coming soon.</p>
        </section>
        <section id="agents" aria-labelledby="agents-heading">
          <h2 id="agents-heading">Agents</h2>
          <p>Choose the AI agent that answers your bot. Coming soon.</p>
        </section>
      </main>
    </div>
  );
}
