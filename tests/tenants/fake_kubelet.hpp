#pragma once

// A fake kubelet for the tenants tests: the pod-resources API's List, served by gRPC from the
// same proto the client is generated from (src/tenants/proto/api.proto), on a unix socket in a
// temp folder. Its answer can change while it runs (pods come and go), it can answer slowly, and
// it can be stopped and started again on the same socket (a kubelet restart).

#include <grpcpp/grpcpp.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tenants/proto/api.grpc.pb.h"

namespace migpower::test {

struct FakeDevices {
  std::string resource;
  std::vector<std::string> ids;
};
struct FakeContainer {
  std::string name;
  std::vector<FakeDevices> devices;
};
struct FakePod {
  std::string name;
  std::string namespace_name;
  std::vector<FakeContainer> containers;
};

class FakeKubelet final : public v1::PodResourcesLister::Service {
 public:
  explicit FakeKubelet(std::filesystem::path socket) : socket_(std::move(socket)) {}
  ~FakeKubelet() override { stop(); }
  FakeKubelet(const FakeKubelet&) = delete;
  FakeKubelet& operator=(const FakeKubelet&) = delete;

  // Listens on the socket (a stale socket file is replaced, as the kubelet does).
  void start() {
    std::filesystem::remove(socket_);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + socket_.string(), grpc::InsecureServerCredentials());
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  // Stops serving and removes the socket: the kubelet going away.
  void stop() {
    if (!server_) return;
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server_->Wait();
    server_.reset();
    std::filesystem::remove(socket_);
  }
  [[nodiscard]] bool running() const { return server_ != nullptr; }

  void set_pods(std::vector<FakePod> pods) {
    const std::lock_guard lock(mutex_);
    pods_ = std::move(pods);
  }
  void set_delay(std::chrono::milliseconds delay) { delay_ms_ = delay.count(); }
  [[nodiscard]] int calls() const { return calls_; }

  grpc::Status List(grpc::ServerContext* context, const v1::ListPodResourcesRequest* /*request*/,
                    v1::ListPodResourcesResponse* response) override {
    ++calls_;
    // A slow kubelet: waits (bounded) unless the client gave up.
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms_.load());
    while (std::chrono::steady_clock::now() < end && !context->IsCancelled()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    const std::lock_guard lock(mutex_);
    for (const FakePod& pod : pods_) {
      v1::PodResources* resources = response->add_pod_resources();
      resources->set_name(pod.name);
      resources->set_namespace_(pod.namespace_name);
      for (const FakeContainer& container : pod.containers) {
        v1::ContainerResources* out = resources->add_containers();
        out->set_name(container.name);
        for (const FakeDevices& devices : container.devices) {
          v1::ContainerDevices* group = out->add_devices();
          group->set_resource_name(devices.resource);
          for (const std::string& id : devices.ids) group->add_device_ids(id);
        }
      }
    }
    return grpc::Status::OK;
  }

 private:
  std::filesystem::path socket_;
  std::unique_ptr<grpc::Server> server_;
  std::mutex mutex_;
  std::vector<FakePod> pods_;
  std::atomic<long long> delay_ms_{0};
  std::atomic<int> calls_{0};
};

// A temp folder for one test, removed at its end.
class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(std::filesystem::temp_directory_path() /
              ("migpower-" + name + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code error;
    std::filesystem::remove_all(path_, error);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace migpower::test
