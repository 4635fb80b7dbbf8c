import { LocalClusterHub, type LocalClusterBus } from './local-cluster-bus.ts';
import { runClusterBusCases } from './cluster-bus.case.test.ts';

let buses: LocalClusterBus[] = [];
runClusterBusCases('LocalClusterBus', {
  open: async () => {
    const hub = new LocalClusterHub();
    buses = [hub.join(), hub.join(), hub.join()];
    return buses;
  },
  close: async () => {
    await Promise.all(buses.map((bus) => bus.close()));
  },
});
