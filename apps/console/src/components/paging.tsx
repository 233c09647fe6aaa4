import type { ReactNode } from "react";
import { Button, Empty, ErrorText } from "./ui.tsx";

/** The states of a paged list: loading, error, empty, rows, and "Load more". */
export function PagedView({
  list,
  empty,
  children,
}: {
  list: {
    items: unknown[] | undefined;
    error: unknown;
    isPending: boolean;
    hasMore: boolean;
    loadMore: () => void;
    loadingMore: boolean;
  };
  empty: string;
  children: ReactNode;
}) {
  if (list.error) return <ErrorText error={list.error} />;
  if (list.isPending) return <p className="text-slate-600">Loading…</p>;
  if (!list.items?.length) return <Empty>{empty}</Empty>;
  return (
    <>
      {children}
      {list.hasMore && (
        <div className="mt-3">
          <Button tone="secondary" onClick={list.loadMore} disabled={list.loadingMore}>
            {list.loadingMore ? "Loading…" : "Load more"}
          </Button>
        </div>
      )}
    </>
  );
}
