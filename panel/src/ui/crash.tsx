/**
 * What the panel shows when a view throws while rendering, instead of a blank page: the error's
 * message and a way back (reload the page). Nothing of the API's data is in it, only the message.
 */
import { Component, type ReactNode } from 'react';

interface State {
  error: Error | null;
}

export class CrashNote extends Component<{ children: ReactNode }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override render(): ReactNode {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <main className="page">
        <div className="error" role="alert" data-panel-crash>
          <strong>The panel hit an error and stopped showing this page:</strong> {error.message.slice(0, 500)}
        </div>
        <p>
          <button type="button" onClick={() => window.location.reload()}>
            Reload the page
          </button>
        </p>
      </main>
    );
  }
}
