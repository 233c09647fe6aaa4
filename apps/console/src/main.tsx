import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { SessionGate } from "./session/session-gate.tsx";
import "./styles.css";

const queryClient = new QueryClient({
  defaultOptions: {
    // The pages stay live through the change streams, not through polling or refocus refetches.
    queries: { staleTime: 30_000, refetchOnWindowFocus: false, retry: 1 },
  },
});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <SessionGate />
    </QueryClientProvider>
  </StrictMode>,
);
