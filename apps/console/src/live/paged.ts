import { useInfiniteQuery } from "@tanstack/react-query";

/** Rows per page of every list the console pages through. */
export const PAGE_SIZE = 50;

/**
 * A cursor-paginated master list (`?limit=&cursor=` → `{<items>, next_cursor}`), flattened; the
 * stream invalidates its key, which refetches the pages loaded so far with the same filters.
 */
export function usePagedList<Page extends { next_cursor: string | null }, Item>(options: {
  queryKey: readonly unknown[];
  fetchPage: (cursor: string | undefined) => Promise<Page>;
  items: (page: Page) => Item[];
}) {
  const query = useInfiniteQuery({
    queryKey: options.queryKey,
    queryFn: ({ pageParam }) => options.fetchPage(pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.next_cursor ?? undefined,
  });
  return {
    items: query.data?.pages.flatMap(options.items),
    error: query.error,
    isPending: query.isPending,
    hasMore: query.hasNextPage,
    loadMore: () => void query.fetchNextPage(),
    loadingMore: query.isFetchingNextPage,
  };
}
