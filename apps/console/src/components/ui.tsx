import * as Dialog from "@radix-ui/react-dialog";
import {
  type ButtonHTMLAttributes,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
  type TextareaHTMLAttributes,
  useState,
} from "react";
import { useAction } from "./use-action.ts";

/** Small accessible building blocks; every text they show is rendered by React, so as text. */

type Tone = "primary" | "secondary" | "danger";

const TONES: Record<Tone, string> = {
  primary: "bg-blue-700 text-white hover:bg-blue-800 disabled:bg-blue-300",
  secondary:
    "border border-slate-300 bg-white text-slate-800 hover:bg-slate-100 disabled:text-slate-400",
  danger: "bg-red-700 text-white hover:bg-red-800 disabled:bg-red-300",
};

export function Button({
  tone = "primary",
  className = "",
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & { tone?: Tone }) {
  return (
    <button
      type="button"
      className={`rounded px-3 py-1.5 text-sm font-medium ${TONES[tone]} ${className}`}
      {...props}
    />
  );
}

const INPUT = "w-full rounded border border-slate-400 bg-white px-2 py-1.5 text-sm";

export function TextInput(props: InputHTMLAttributes<HTMLInputElement>) {
  return <input className={INPUT} {...props} />;
}

export function TextArea(props: TextareaHTMLAttributes<HTMLTextAreaElement>) {
  return <textarea className={`${INPUT} font-mono`} rows={3} {...props} />;
}

export function Select(props: SelectHTMLAttributes<HTMLSelectElement>) {
  return <select className={INPUT} {...props} />;
}

/** A label, its control, a hint and the field's errors (announced with the control). */
export function Field({
  label,
  id,
  hint,
  error,
  children,
}: {
  label: string;
  id: string;
  hint?: string;
  error?: string | string[] | undefined;
  children: ReactNode;
}) {
  const errors = error === undefined ? [] : Array.isArray(error) ? error : [error];
  return (
    <div>
      <label htmlFor={id} className="mb-1 block text-sm font-medium text-slate-800">
        {label}
      </label>
      {children}
      {hint && <p className="mt-1 text-xs text-slate-600">{hint}</p>}
      {errors.map((message) => (
        <p key={message} role="alert" className="mt-1 text-sm text-red-800">
          {message}
        </p>
      ))}
    </div>
  );
}

/** A titled box of a page (a section named by its heading). */
export function Panel({
  id,
  title,
  className = "",
  children,
}: {
  id: string;
  title: string;
  className?: string;
  children: ReactNode;
}) {
  return (
    <section
      aria-labelledby={id}
      className={`rounded border border-slate-200 bg-white p-4 ${className}`}
    >
      <h2 id={id} className="mb-3 text-lg font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

/** A detail page's key facts, as a description list in a grid. */
export function Facts({ children }: { children: ReactNode }) {
  return (
    <dl className="mb-6 grid grid-cols-2 gap-x-6 gap-y-2 rounded border border-slate-200 bg-white p-4 text-sm sm:grid-cols-4">
      {children}
    </dl>
  );
}

export function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <dt className="text-slate-600">{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export function ErrorText({ error }: { error: unknown }) {
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p role="alert" className="rounded border border-red-300 bg-red-50 p-2 text-sm text-red-900">
      {message}
    </p>
  );
}

const BADGES: Record<string, string> = {
  good: "bg-green-100 text-green-900",
  warn: "bg-amber-100 text-amber-900",
  bad: "bg-red-100 text-red-900",
  neutral: "bg-slate-200 text-slate-800",
};

/** A state as a coloured word (the word carries the meaning, not the colour). */
export function Badge({ tone, children }: { tone: keyof typeof BADGES; children: ReactNode }) {
  return (
    <span className={`inline-block rounded px-2 py-0.5 text-xs font-medium ${BADGES[tone]}`}>
      {children}
    </span>
  );
}

export function PageHeader({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="mb-4 flex flex-wrap items-center justify-between gap-2">
      <h1 className="text-2xl font-semibold">{title}</h1>
      <div className="flex gap-2">{children}</div>
    </div>
  );
}

export function Table({
  label,
  head,
  children,
}: {
  label: string;
  head: string[];
  children: ReactNode;
}) {
  return (
    <div className="overflow-x-auto rounded border border-slate-200 bg-white">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">{label}</caption>
        <thead className="bg-slate-100 text-slate-700">
          <tr>
            {head.map((h) => (
              <th key={h} scope="col" className="px-3 py-2 font-medium">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">{children}</tbody>
      </table>
    </div>
  );
}

export function Cell({ children, className = "" }: { children?: ReactNode; className?: string }) {
  return <td className={`px-3 py-2 align-top ${className}`}>{children}</td>;
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <p className="rounded border border-dashed border-slate-300 p-4 text-slate-600">{children}</p>
  );
}

/** A modal dialog (Radix: focus is trapped inside and returns to the trigger; Escape closes). */
export function Modal({
  title,
  description,
  open,
  onOpenChange,
  children,
}: {
  title: string;
  description?: string;
  open: boolean;
  onOpenChange: (open: boolean) => void;
  children: ReactNode;
}) {
  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="fixed inset-0 bg-slate-900/40" />
        <Dialog.Content className="fixed top-1/2 left-1/2 max-h-[90vh] w-[min(40rem,95vw)] -translate-x-1/2 -translate-y-1/2 overflow-y-auto rounded-lg bg-white p-6 shadow-xl">
          <Dialog.Title className="mb-2 text-lg font-semibold">{title}</Dialog.Title>
          <Dialog.Description className={description ? "mb-4 text-sm text-slate-700" : "sr-only"}>
            {description ?? title}
          </Dialog.Description>
          {children}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

/** A button that asks before it acts: the action runs only from the dialog's confirm button. */
export function ConfirmButton({
  label,
  title,
  description,
  confirmLabel,
  onConfirm,
  disabled,
}: {
  label: string;
  title: string;
  description: string;
  confirmLabel: string;
  onConfirm: () => Promise<unknown>;
  disabled?: boolean;
}) {
  const [open, setOpen] = useState(false);
  const { busy, error, run } = useAction();
  return (
    <>
      <Button tone="danger" disabled={disabled} onClick={() => setOpen(true)}>
        {label}
      </Button>
      {/* Mounted only while open: a long table has one of these per row. */}
      {open && (
        <Modal title={title} description={description} open={open} onOpenChange={setOpen}>
          {error !== null && <ErrorText error={error} />}
          <div className="mt-4 flex justify-end gap-2">
            <Button tone="secondary" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button
              tone="danger"
              disabled={busy}
              onClick={async () => {
                if (await run(onConfirm)) setOpen(false);
              }}
            >
              {confirmLabel}
            </Button>
          </div>
        </Modal>
      )}
    </>
  );
}
