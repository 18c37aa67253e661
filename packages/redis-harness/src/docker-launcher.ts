import type { RedisLauncher } from './launcher.js';

/**
 * Docker fallback for machines without a redis-server binary. Containers use the
 * host network so a server listens on the same port it would locally, which also
 * keeps Redis Cluster's announced addresses valid.
 *
 * testcontainers is an optional peer dependency: it is imported here, and this
 * module only when no binary was found, so a package that depends on the harness
 * (the incident replay, the benchmarks) does not pull it in. Without it, or
 * without a reachable Docker engine, this resolves to undefined.
 */
export async function tryDockerLauncher(): Promise<RedisLauncher | undefined> {
  let tc: typeof import('testcontainers');
  try {
    tc = await import('testcontainers');
    await tc.getContainerRuntimeClient();
  } catch {
    return undefined;
  }
  const image = process.env.BREAKWATER_REDIS_IMAGE ?? 'redis:7-alpine';
  return {
    kind: 'docker',
    async launch(_port, args, label) {
      const started = await new tc.GenericContainer(image)
        .withNetworkMode('host')
        .withCommand(['redis-server', ...args, '--dir', '/data'])
        .withLabels({ 'breakwater.harness': label })
        .start();
      const client = await tc.getContainerRuntimeClient();
      const container = client.container.getById(started.getId());
      let exited = false;
      let markExited: () => void = () => {};
      const exitedPromise = new Promise<void>((resolve) => {
        markExited = () => {
          exited = true;
          resolve();
        };
      });
      return {
        pid: undefined,
        pause: async () => {
          await container.pause();
        },
        resume: async () => {
          await container.unpause();
        },
        async kill() {
          if (!exited) await started.stop({ timeout: 0, remove: true }).catch(() => {});
          markExited();
        },
        exited: exitedPromise,
        hasExited: () => exited,
        output: () => `container ${started.getId()} (${image})`,
      };
    },
  };
}
