import { IssueKeyRequest, issuesOf, type KeyIssued } from "@dockflow/protocol";
import { useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { PagedView } from "../components/paging.tsx";
import {
  Badge,
  Button,
  Cell,
  ConfirmButton,
  ErrorText,
  Field,
  PageHeader,
  Panel,
  Table,
  TextInput,
} from "../components/ui.tsx";
import { PAGE_SIZE, usePagedList } from "../live/paged.ts";
import { masterKeys } from "../live/stream-changes.ts";
import { useMaster } from "../session/context.tsx";

export function KeysPage() {
  const master = useMaster();
  const queryClient = useQueryClient();
  const list = usePagedList({
    queryKey: masterKeys.keys,
    fetchPage: (cursor) =>
      master.GET("/keys", { params: { query: { limit: PAGE_SIZE, ...(cursor && { cursor }) } } }),
    items: (page) => page.keys,
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: masterKeys.keys });

  return (
    <>
      <PageHeader title="Agent keys" />
      <IssueKey onIssued={refresh} />
      <h2 className="mt-6 mb-2 text-lg font-semibold">Keys</h2>
      <PagedView list={list} empty="No key issued yet.">
        <Table
          label="Agent keys"
          head={["Name", "Id", "Agent", "Created", "Last used", "State", "Actions"]}
        >
          {list.items?.map((key) => (
            <tr key={key.id} data-testid="key-row">
              <Cell>{key.name}</Cell>
              <Cell className="font-mono text-xs">{key.id}</Cell>
              <Cell className="font-mono text-xs">{key.agent_id ?? "–"}</Cell>
              <Cell>{new Date(key.created_at).toLocaleString()}</Cell>
              <Cell>
                {key.last_used_at ? new Date(key.last_used_at).toLocaleString() : "never"}
              </Cell>
              <Cell>
                {key.revoked_at ? (
                  <Badge tone="bad">revoked</Badge>
                ) : (
                  <Badge tone="good">active</Badge>
                )}
              </Cell>
              <Cell>
                {!key.revoked_at && (
                  <ConfirmButton
                    label={`Revoke`}
                    title={`Revoke the key ${key.name}?`}
                    description="An agent using this key is refused from now on. This cannot be undone."
                    confirmLabel="Revoke key"
                    onConfirm={async () => {
                      await master.DELETE("/keys/{id}", { params: { path: { id: key.id } } });
                      await refresh();
                    }}
                  />
                )}
              </Cell>
            </tr>
          ))}
        </Table>
      </PagedView>
    </>
  );
}

/** Issues a key; the key itself is shown once, here, and never stored by the page. */
function IssueKey({ onIssued }: { onIssued: () => void }) {
  const master = useMaster();
  const [name, setName] = useState("");
  const [errors, setErrors] = useState<string[] | undefined>(undefined);
  const [failure, setFailure] = useState<unknown>(null);
  const [issued, setIssued] = useState<KeyIssued | null>(null);
  const [copied, setCopied] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setFailure(null);
    const parsed = IssueKeyRequest.safeParse({ name });
    if (!parsed.success)
      return setErrors(issuesOf(parsed.error).map((i) => `${i.path}: ${i.message}`));
    setErrors(undefined);
    try {
      setIssued(await master.POST("/keys", { body: parsed.data }));
      setCopied(false);
      setName("");
      onIssued();
    } catch (caught) {
      setFailure(caught);
    }
  }

  return (
    <Panel id="issue-title" title="Issue a key" className="max-w-2xl">
      <form onSubmit={submit} className="flex items-end gap-2">
        <div className="grow">
          <Field label="Key name" id="key-name" error={errors}>
            <TextInput id="key-name" value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
        </div>
        <Button type="submit">Issue key</Button>
      </form>
      {failure !== null && <ErrorText error={failure} />}
      {issued && (
        <div role="status" className="mt-4 rounded border border-amber-400 bg-amber-50 p-3">
          <p className="mb-2 text-sm font-medium">
            Copy this key now: it is shown only once and cannot be retrieved later.
          </p>
          <div className="flex items-center gap-2">
            <code data-testid="issued-key" className="grow break-all rounded bg-white p-2 text-xs">
              {issued.key}
            </code>
            <Button
              tone="secondary"
              onClick={async () => {
                await navigator.clipboard.writeText(issued.key);
                setCopied(true);
              }}
            >
              {copied ? "Copied" : "Copy key"}
            </Button>
            <Button tone="secondary" onClick={() => setIssued(null)}>
              Done
            </Button>
          </div>
        </div>
      )}
    </Panel>
  );
}
