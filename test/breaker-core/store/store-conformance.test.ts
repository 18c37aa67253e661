import { describeStoreConformance } from './store-conformance.js';
import { clusterTarget, memoryTarget, redisTarget } from './store-targets.js';

// One suite, three homes for the state.
describeStoreConformance(memoryTarget());
describeStoreConformance(redisTarget());
describeStoreConformance(clusterTarget());
