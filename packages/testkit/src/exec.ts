import type Docker from "dockerode";

/** Runs `cmd` in a running container and waits for it; fails unless it exits 0. */
export async function execIn(docker: Docker, id: string, cmd: string[]): Promise<void> {
  const exec = await docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise<void>((resolve, reject) => {
    stream.on("end", resolve);
    stream.on("close", resolve);
    stream.on("error", reject);
    stream.resume();
  });
  const info = await exec.inspect();
  if (info.ExitCode !== 0) throw new Error(`${cmd.join(" ")} exited with ${info.ExitCode}`);
}

/**
 * Makes a container's main process print `text` as one line on its stdout (fd 1) or stderr
 * (fd 2), as if it had printed it itself: what Docker's log then has. Needs `sh` in the image.
 */
export function printAsMainProcess(
  docker: Docker,
  id: string,
  text: string,
  fd: 1 | 2 = 1,
): Promise<void> {
  return execIn(docker, id, ["sh", "-c", `printf '%s\\n' "$1" > /proc/1/fd/${fd}`, "sh", text]);
}
