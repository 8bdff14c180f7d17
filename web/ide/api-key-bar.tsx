/** The bar above the IDE where a person pastes the API key the IDE sends with every operation. */
import { useState, type FormEvent } from 'react';

export function ApiKeyBar({ value, onChange }: { value: string; onChange: (key: string) => void }) {
  const [draft, setDraft] = useState(value);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onChange(draft.trim());
  };
  return (
    <form className="kyb-key-bar" onSubmit={submit}>
      <strong>Kybernet</strong>
      <label htmlFor="kyb-api-key">API key</label>
      <input
        id="kyb-api-key"
        name="api-key"
        type="password"
        autoComplete="off"
        spellCheck={false}
        placeholder="kyb_… (kybernet keys create viewer)"
        value={draft}
        onChange={(event) => setDraft(event.target.value)}
      />
      <button type="submit">Use key</button>
      {draft.trim() !== value ? null : value ? (
        <span className="kyb-key-state">key in use for this tab</span>
      ) : (
        <span className="kyb-key-state kyb-key-missing">no key: every operation is refused (401)</span>
      )}
    </form>
  );
}
