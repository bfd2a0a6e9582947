/**
 * The instance's own settings (the header's Instance link, instance admins only): its instance
 * tokens and a registry garbage collection now. Any other token opening the path gets the API's
 * own refusal from the token list (no gate in the panel decides for the API).
 */
import { InstanceTokens } from './InstanceTokens';
import { RegistryGc } from './RegistryGc';

export function Instance({ admin, tokenId }: { admin: boolean; tokenId: string | undefined }) {
  return (
    <section aria-labelledby="instance-title">
      <h1 id="instance-title">Instance</h1>
      <p className="muted">What belongs to the whole Slipway instance rather than to a workspace: for instance admins signed in with an instance token.</p>
      <InstanceTokens current={tokenId} />
      {admin && <RegistryGc />}
    </section>
  );
}
