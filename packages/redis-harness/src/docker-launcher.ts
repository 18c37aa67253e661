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
    async launch(_port, args, label, config) {
      // The image's entrypoint hands /data (and the config file in it) to the redis user.
      const file = '/data/redis.conf';
      let container = new tc.GenericContainer(image)
        .withNetworkMode('host')
        .withCommand(['redis-server', ...(config === undefined ? [] : [file]), ...args, '--dir', '/data'])
        .withLabels({ 'breakwater.harness': label });
      if (config !== undefined) container = container.withCopyContentToContainer([{ content: config, target: file }]);
      const started = await container.start();
      const client = await tc.getContainerRuntimeClient();
      const running = client.container.getById(started.getId());
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
          await running.pause();
        },
        resume: async () => {
          await running.unpause();
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
