import { isFlowError } from "@dockflow/sdk";
import { type FormEvent, useState } from "react";
import { Button, ErrorText, Field, Select, TextArea, TextInput } from "../components/ui.tsx";
import {
  buildCreateRequest,
  type CreateFormValues,
  emptyCreateForm,
  type FormErrors,
} from "../lib/create-form.ts";
import { useFlow } from "./connection.tsx";

/** Creates (and optionally starts) a flow container; validated with the protocol's schema first. */
export function CreateFlowForm({ onDone }: { onDone: (containerId: string) => void }) {
  const { client } = useFlow();
  const [values, setValues] = useState<CreateFormValues>(emptyCreateForm);
  const [errors, setErrors] = useState<FormErrors>({});
  const [failure, setFailure] = useState<unknown>(null);
  const [start, setStart] = useState(true);
  const [busy, setBusy] = useState(false);

  const bind = (field: keyof CreateFormValues) => ({
    id: `create-${field}`,
    value: values[field],
    onChange: (event: { target: { value: string } }) =>
      setValues((v) => ({ ...v, [field]: event.target.value })),
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    setFailure(null);
    const built = buildCreateRequest(values);
    if (!built.ok) return setErrors(built.errors);
    setErrors({});
    if (!client) return setFailure(new Error("not connected to the flow manager"));
    setBusy(true);
    try {
      const created = await client.createContainer(built.request);
      if (start) await client.startContainer({ container_id: created.container_id });
      onDone(created.container_id);
    } catch (caught) {
      // The server's validation issues land on their fields, like the local ones.
      const issues = isFlowError(caught) ? caught.details.issues : undefined;
      if (issues?.length) {
        setErrors({ form: issues.map((i) => `${i.path}: ${i.message}`) });
      } else setFailure(caught);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="space-y-3" noValidate>
      {errors.form && <ErrorText error={errors.form.join("; ")} />}
      {failure !== null && <ErrorText error={failure} />}
      <div className="grid gap-3 sm:grid-cols-2">
        <Field label="Image" id="create-image" error={errors.image}>
          <TextInput required {...bind("image")} />
        </Field>
        <Field label="Name" id="create-name" error={errors.name} hint="Optional; Docker picks one.">
          <TextInput {...bind("name")} />
        </Field>
      </div>
      <Field
        label="Environment"
        id="create-environment"
        error={errors.environment}
        hint="One KEY=value per line."
      >
        <TextArea {...bind("environment")} />
      </Field>
      <Field
        label="Volumes"
        id="create-volumes"
        error={errors.volumes}
        hint="One /host/path:/container/path[:ro] per line; host paths under the manager's allowed roots."
      >
        <TextArea {...bind("volumes")} />
      </Field>
      <Field
        label="Ports"
        id="create-ports"
        error={errors.ports}
        hint="One hostPort:containerPort[/udp] per line."
      >
        <TextArea {...bind("ports")} />
      </Field>
      <div className="grid gap-3 sm:grid-cols-3">
        <Field
          label="Memory limit"
          id="create-memory_limit"
          error={errors.memory_limit}
          hint="Bytes or 256m, 1g."
        >
          <TextInput {...bind("memory_limit")} />
        </Field>
        <Field label="CPU limit (cores)" id="create-cpu_limit" error={errors.cpu_limit}>
          <TextInput inputMode="decimal" {...bind("cpu_limit")} />
        </Field>
        <Field label="Restart policy" id="create-restart_policy" error={errors.restart_policy}>
          <Select {...bind("restart_policy")}>
            <option value="">default (no)</option>
            <option value="no">no</option>
            <option value="always">always</option>
            <option value="unless-stopped">unless-stopped</option>
            <option value="on-failure">on-failure</option>
          </Select>
        </Field>
      </div>
      <div className="grid gap-3 sm:grid-cols-3">
        <div className="sm:col-span-2">
          <Field
            label="Health check command"
            id="create-healthcheck"
            error={errors.healthcheck}
            hint="Run with sh -c."
          >
            <TextInput {...bind("healthcheck")} />
          </Field>
        </div>
        <Field
          label="Check interval (s)"
          id="create-healthcheck_interval"
          error={errors.healthcheck_interval}
        >
          <TextInput inputMode="numeric" {...bind("healthcheck_interval")} />
        </Field>
      </div>
      <label className="flex items-center gap-2 text-sm">
        <input
          type="checkbox"
          checked={start}
          onChange={(event) => setStart(event.target.checked)}
        />
        Start it after creating
      </label>
      <div className="flex justify-end">
        <Button type="submit" disabled={busy}>
          {busy ? "Creating…" : "Create"}
        </Button>
      </div>
    </form>
  );
}
