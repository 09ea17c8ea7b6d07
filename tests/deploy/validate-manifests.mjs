// Validates every manifest in deploy/kubernetes against the Kubernetes API schemas
// (kubernetes-models from npm, offline) and the Prometheus operator's (ServiceMonitor), then
// checks what the schemas cannot: that the objects refer to each other (selectors, ports, the
// ConfigMap, the ServiceAccount), and the least-privilege settings deploy/kubernetes/README.md
// argues for. Exits non-zero naming each finding.
//   node validate-manifests.mjs DEPLOY_KUBERNETES_DIR [--write-config FILE] [--self-test]
// --write-config writes the ConfigMap's serve.toml to FILE (the agent then checks it);
// --self-test also proves the validation can fail: broken copies of the DaemonSet are refused.
import fs from "node:fs";
import path from "node:path";
import { parseAllDocuments } from "yaml";
import * as core from "kubernetes-models/v1";
import * as apps from "kubernetes-models/apps/v1";
import * as monitoring from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";

const kinds = {
  "v1/Namespace": core.Namespace,
  "v1/ServiceAccount": core.ServiceAccount,
  "v1/ConfigMap": core.ConfigMap,
  "v1/Service": core.Service,
  "apps/v1/DaemonSet": apps.DaemonSet,
  "monitoring.coreos.com/v1/ServiceMonitor": monitoring.ServiceMonitor,
};

const args = process.argv.slice(2);
const dir = args[0];
const writeConfig = args.includes("--write-config") ? args[args.indexOf("--write-config") + 1] : null;
const selfTest = args.includes("--self-test");
if (!dir) {
  console.error("usage: validate-manifests.mjs DIR [--write-config FILE] [--self-test]");
  process.exit(2);
}

const findings = [];
const find = (where, message) => findings.push(`${where}: ${message}`);

// Validates one object against its kind's schema; the error message, or null.
function schemaError(object) {
  const Model = kinds[`${object.apiVersion}/${object.kind}`];
  if (!Model) return `no schema known for ${object.apiVersion} ${object.kind}`;
  try {
    new Model(object).validate();
    return null;
  } catch (error) {
    return error.message;
  }
}

// Every manifest: the kustomization's resources, each a YAML file of one or more objects.
const kustomization = parseAllDocuments(fs.readFileSync(path.join(dir, "kustomization.yaml"), "utf8"))[0].toJS();
const listed = new Set(kustomization.resources);
for (const name of fs.readdirSync(dir)) {
  if (name.endsWith(".yaml") && name !== "kustomization.yaml" && !listed.has(name)) {
    find(name, "not listed in kustomization.yaml");
  }
}
const objects = [];
for (const name of kustomization.resources) {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) {
    find("kustomization.yaml", `lists ${name}, which does not exist`);
    continue;
  }
  for (const document of parseAllDocuments(fs.readFileSync(file, "utf8"))) {
    if (document.errors.length) {
      find(name, document.errors.map(String).join("; "));
      continue;
    }
    const object = document.toJS();
    if (!object) continue;
    const error = schemaError(object);
    if (error) find(`${name} ${object.kind}/${object.metadata?.name}`, error);
    objects.push({ name, object });
  }
}

const one = (kind) => {
  const matches = objects.filter((o) => o.object.kind === kind);
  if (matches.length !== 1) find("deploy/kubernetes", `expected one ${kind}, found ${matches.length}`);
  return matches[0]?.object;
};
const namespace = one("Namespace");
const account = one("ServiceAccount");
const configMap = one("ConfigMap");
const daemonSet = one("DaemonSet");
const service = one("Service");
const monitor = one("ServiceMonitor");

const subset = (selector, labels) =>
  Object.entries(selector ?? {}).every(([key, value]) => labels?.[key] === value);

if (namespace && daemonSet && configMap && service && monitor && account) {
  const ns = namespace.metadata.name;
  for (const { name, object } of objects) {
    if (object.kind !== "Namespace" && object.metadata.namespace !== ns) {
      find(name, `in namespace ${object.metadata.namespace}, not ${ns}`);
    }
  }
  const pod = daemonSet.spec.template;
  const container = pod.spec.containers[0];
  // References between the objects.
  if (!subset(daemonSet.spec.selector.matchLabels, pod.metadata.labels)) {
    find("daemonset.yaml", "the selector does not match the pod template's labels");
  }
  if (!subset(service.spec.selector, pod.metadata.labels)) {
    find("service.yaml", "the selector does not match the DaemonSet's pods");
  }
  if (!subset(monitor.spec.selector.matchLabels, service.metadata.labels)) {
    find("servicemonitor.yaml", "the selector does not match the Service's labels");
  }
  if (!monitor.spec.namespaceSelector?.matchNames?.includes(ns)) {
    find("servicemonitor.yaml", `does not look in namespace ${ns}`);
  }
  const servicePorts = service.spec.ports.map((p) => p.name);
  for (const endpoint of monitor.spec.endpoints) {
    if (!servicePorts.includes(endpoint.port)) find("servicemonitor.yaml", `no Service port named ${endpoint.port}`);
  }
  const containerPorts = container.ports.map((p) => p.name);
  for (const port of service.spec.ports) {
    if (!containerPorts.includes(port.targetPort)) find("service.yaml", `no container port named ${port.targetPort}`);
  }
  if (pod.spec.serviceAccountName !== account.metadata.name) {
    find("daemonset.yaml", `service account ${pod.spec.serviceAccountName} is not ${account.metadata.name}`);
  }
  const volumes = Object.fromEntries(pod.spec.volumes.map((v) => [v.name, v]));
  for (const mount of container.volumeMounts) {
    if (!volumes[mount.name]) find("daemonset.yaml", `mounts volume ${mount.name}, which is not declared`);
  }
  if (volumes.config?.configMap?.name !== configMap.metadata.name) {
    find("daemonset.yaml", "the config volume is not the ConfigMap");
  }
  const configArg = container.args[container.args.indexOf("--config") + 1];
  const configMount = container.volumeMounts.find((m) => m.name === "config");
  if (!configMount || path.dirname(configArg) !== configMount.mountPath ||
      !(path.basename(configArg) in configMap.data)) {
    find("daemonset.yaml", `--config ${configArg} is not a key of the mounted ConfigMap`);
  }
  // Least privilege (deploy/kubernetes/README.md).
  const security = container.securityContext ?? {};
  if (security.allowPrivilegeEscalation !== false) find("daemonset.yaml", "allowPrivilegeEscalation must be false");
  if (security.privileged) find("daemonset.yaml", "must not be privileged");
  if (security.readOnlyRootFilesystem !== true) find("daemonset.yaml", "readOnlyRootFilesystem must be true");
  const drop = security.capabilities?.drop ?? [];
  if (!drop.includes("ALL")) find("daemonset.yaml", "must drop ALL capabilities");
  if ((security.capabilities?.add ?? []).length) find("daemonset.yaml", "adds capabilities; README.md must argue for them and this check change");
  if (pod.spec.hostNetwork || pod.spec.hostPID || pod.spec.hostIPC) find("daemonset.yaml", "must not share the host's network, PIDs or IPC");
  if (pod.spec.automountServiceAccountToken !== false || account.automountServiceAccountToken !== false) {
    find("daemonset.yaml", "must not mount a service account token");
  }
  if (pod.spec.securityContext?.seccompProfile?.type !== "RuntimeDefault") find("daemonset.yaml", "seccomp must be RuntimeDefault");
  for (const mount of container.volumeMounts) {
    const volume = volumes[mount.name];
    if (volume?.hostPath) {
      if (mount.readOnly !== true) find("daemonset.yaml", `host path ${volume.hostPath.path} must be mounted read-only`);
      if (volume.hostPath.path !== "/var/lib/kubelet/pod-resources") {
        find("daemonset.yaml", `host path ${volume.hostPath.path} is not argued for in README.md`);
      }
    }
  }
  if (!pod.spec.nodeSelector?.["nvidia.com/gpu.present"]) find("daemonset.yaml", "must run only on nodes with an NVIDIA GPU");
  if (writeConfig) fs.writeFileSync(writeConfig, configMap.data["serve.toml"]);
}

if (selfTest && daemonSet) {
  const broken = [
    ["a port that is not a number", (d) => { d.spec.template.spec.containers[0].ports[0].containerPort = "10121x"; }],
    ["no selector", (d) => { delete d.spec.selector; }],
    ["a container without a name", (d) => { delete d.spec.template.spec.containers[0].name; }],
    ["a probe on a port of the wrong type", (d) => { d.spec.template.spec.containers[0].readinessProbe.periodSeconds = "often"; }],
  ];
  for (const [what, breakIt] of broken) {
    const copy = structuredClone(daemonSet);
    breakIt(copy);
    if (!schemaError(copy)) find("self-test", `a DaemonSet with ${what} passed the schema`);
  }
}

if (findings.length) {
  for (const finding of findings) console.error(finding);
  console.error(`validate-manifests: ${findings.length} finding(s)`);
  process.exit(1);
}
console.log(`validate-manifests: ${objects.length} objects valid against the Kubernetes schemas and consistent`);
