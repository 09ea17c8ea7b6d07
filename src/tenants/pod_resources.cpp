#include "tenants/pod_resources.hpp"

#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <system_error>

#include "tenants/proto/api.grpc.pb.h"

namespace migpower::tenants {

std::string_view failure_kind(ListFailure failure) {
  switch (failure) {
    case ListFailure::none:
      return "none";
    case ListFailure::socket_missing:
      return "kubelet_socket_missing";
    case ListFailure::unavailable:
      return "kubelet_unavailable";
    case ListFailure::timeout:
      return "kubelet_timeout";
    case ListFailure::failed:
      return "kubelet_failed";
  }
  return "kubelet_failed";
}

ListAnswer list_pod_resources(const std::string& socket_path, std::chrono::milliseconds timeout) {
  ListAnswer answer;
  std::error_code error;
  if (!std::filesystem::is_socket(socket_path, error)) {
    answer.failure = ListFailure::socket_missing;
    answer.message = "no socket at " + socket_path;
    return answer;
  }
  grpc::ChannelArguments arguments;
  arguments.SetMaxReceiveMessageSize(16 * 1024 * 1024);  // the kubelet's own limit
  const auto channel = grpc::CreateCustomChannel("unix:" + socket_path,
                                                 grpc::InsecureChannelCredentials(), arguments);
  const auto stub = v1::PodResourcesLister::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + timeout);
  const v1::ListPodResourcesRequest request;
  v1::ListPodResourcesResponse response;
  const grpc::Status status = stub->List(&context, request, &response);
  if (!status.ok()) {
    switch (status.error_code()) {
      case grpc::StatusCode::UNAVAILABLE:
        answer.failure = ListFailure::unavailable;
        break;
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        answer.failure = ListFailure::timeout;
        break;
      default:
        answer.failure = ListFailure::failed;
        break;
    }
    answer.message = "kubelet pod-resources List on " + socket_path + ": " +
                     status.error_message() + " (gRPC status " +
                     std::to_string(static_cast<int>(status.error_code())) + ")";
    return answer;
  }
  for (const auto& pod : response.pod_resources()) {
    for (const auto& container : pod.containers()) {
      for (const auto& devices : container.devices()) {
        answer.devices.push_back(ContainerDevices{
            pod.name(), pod.namespace_(), container.name(), devices.resource_name(),
            std::vector<std::string>(devices.device_ids().begin(), devices.device_ids().end())});
      }
    }
  }
  return answer;
}

}  // namespace migpower::tenants
