#include "model/gbt_booster_check.hpp"

#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace migpower {
namespace {

using nlohmann::json;

const json& member(const json& object, const char* key, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) {
    throw InputError(where + ": missing \"" + key + "\"");
  }
  return object.at(key);
}

// XGBoost writes counts as decimal strings ("200").
long long count_field(const json& object, const char* key, const std::string& where) {
  const json& value = member(object, key, where);
  const std::string path = where + "." + key;
  if (value.is_number_integer()) return value.get<long long>();
  if (!value.is_string()) throw InputError(path + ": expected a count");
  const auto& text = value.get_ref<const std::string&>();
  long long out = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (error != std::errc() || end != text.data() + text.size() || out < 0) {
    throw InputError(path + ": expected a count, not \"" + text + "\"");
  }
  return out;
}

const json& array_of(const json& object, const char* key, std::size_t size,
                     const std::string& where) {
  const json& value = member(object, key, where);
  if (!value.is_array() || value.size() != size) {
    throw InputError(where + "." + key + ": expected " + std::to_string(size) + " entries");
  }
  return value;
}

// XGBoost keeps these as 32-bit floats and writes a value beyond their range back as "Infinity",
// which is not JSON: the file would load but could not be saved again.
bool fits_a_float(const json& value) {
  return value.is_number() && std::fabs(value.get<double>()) <= std::numeric_limits<float>::max();
}

void check_tree(const json& tree, std::size_t feature_count, const std::string& where) {
  const json& param = member(tree, "tree_param", where);
  const long long nodes = count_field(param, "num_nodes", where + ".tree_param");
  if (nodes < 1) throw InputError(where + ".tree_param.num_nodes: a tree needs a node");
  const auto n = static_cast<std::size_t>(nodes);
  const json& left = array_of(tree, "left_children", n, where);
  const json& right = array_of(tree, "right_children", n, where);
  const json& parents = array_of(tree, "parents", n, where);
  const json& split_indices = array_of(tree, "split_indices", n, where);
  const json& split_type = array_of(tree, "split_type", n, where);
  array_of(tree, "default_left", n, where);
  for (const char* key : {"split_conditions", "base_weights", "loss_changes", "sum_hessian"}) {
    const json& values = array_of(tree, key, n, where);
    for (std::size_t i = 0; i < n; ++i) {
      if (!fits_a_float(values[i])) {
        throw InputError(where + "." + key + "[" + std::to_string(i) +
                         "]: expected a number within a 32-bit float's range");
      }
    }
  }
  const auto child_ok = [&](const json& child) {
    return child.is_number_integer() && child.get<long long>() >= -1 &&
           child.get<long long>() < nodes &&
           child.get<long long>() != 0;  // the root is no one's child
  };
  for (std::size_t i = 0; i < n; ++i) {
    const std::string node = where + " node " + std::to_string(i);
    if (!child_ok(left[i]) || !child_ok(right[i])) {
      throw InputError(node + ": child index out of range");
    }
    if ((left[i].get<long long>() == -1) != (right[i].get<long long>() == -1)) {
      throw InputError(node + ": a split needs both children");
    }
    if (!parents[i].is_number_integer()) throw InputError(node + ": parent is not an index");
    if (!split_type[i].is_number_integer() || split_type[i].get<long long>() != 0) {
      throw InputError(node + ": only numeric splits are supported");
    }
    const bool leaf = left[i].get<long long>() == -1;
    if (!split_indices[i].is_number_integer() || split_indices[i].get<long long>() < 0 ||
        (!leaf && split_indices[i].get<std::size_t>() >= feature_count)) {
      throw InputError(node + ": split feature out of range");
    }
  }
  // XGBoost walks from the root until it meets a leaf: a cycle would never end, so every node
  // must be reached at most once (pruned nodes may stay unreached).
  std::vector<bool> reached(n, false);
  std::vector<std::size_t> pending{0};
  while (!pending.empty()) {
    const std::size_t i = pending.back();
    pending.pop_back();
    if (reached[i]) {
      throw InputError(where + " node " + std::to_string(i) +
                       ": reached twice from the root (a cycle, or a node with two parents)");
    }
    reached[i] = true;
    if (left[i].get<long long>() == -1) continue;
    pending.push_back(left[i].get<std::size_t>());
    pending.push_back(right[i].get<std::size_t>());
  }
}

}  // namespace

void check_booster_json(const json& booster, std::size_t feature_count, const std::string& where) {
  const json& learner = member(booster, "learner", where);
  const std::string at_learner = where + ".learner";
  const json& model_param = member(learner, "learner_model_param", at_learner);
  const std::string at_param = at_learner + ".learner_model_param";
  const long long features = count_field(model_param, "num_feature", at_param);
  if (features != static_cast<long long>(feature_count)) {
    throw InputError(at_param + ".num_feature: " + std::to_string(features) + ", expected " +
                     std::to_string(feature_count));
  }
  // One regression output: a file claiming classes or several targets is not ours.
  if (count_field(model_param, "num_class", at_param) != 0) {
    throw InputError(at_param + ".num_class: expected 0 (a regression model)");
  }
  if (count_field(model_param, "num_target", at_param) != 1) {
    throw InputError(at_param + ".num_target: expected 1");
  }
  const json& base_score = member(model_param, "base_score", at_param);
  const std::string* score_text = base_score.get_ptr<const std::string*>();
  float score = 0.0F;
  bool parsed = false;
  if (score_text != nullptr) {
    const char* end = score_text->data() + score_text->size();
    const auto [stop, error] = std::from_chars(score_text->data(), end, score);
    parsed = error == std::errc() && stop == end;
  }
  if (!parsed || !std::isfinite(score)) {
    throw InputError(at_param + ".base_score: expected a finite number in a string");
  }
  const json& gradient_booster = member(learner, "gradient_booster", at_learner);
  const std::string at_booster = at_learner + ".gradient_booster";
  const json& name = member(gradient_booster, "name", at_booster);
  if (!name.is_string() || name.get_ref<const std::string&>() != "gbtree") {
    throw InputError(at_booster + ".name: only \"gbtree\" is supported");
  }
  const json& model = member(gradient_booster, "model", at_booster);
  const std::string at_model = at_booster + ".model";
  const long long trees_declared = count_field(member(model, "gbtree_model_param", at_model),
                                               "num_trees", at_model + ".gbtree_model_param");
  const json& trees = member(model, "trees", at_model);
  if (!trees.is_array() || static_cast<long long>(trees.size()) != trees_declared) {
    throw InputError(at_model + ".trees: expected " + std::to_string(trees_declared) +
                     " trees (gbtree_model_param.num_trees)");
  }
  const json& tree_info = array_of(model, "tree_info", trees.size(), at_model);
  for (std::size_t t = 0; t < trees.size(); ++t) {
    if (!tree_info[t].is_number_integer() || tree_info[t].get<long long>() != 0) {
      throw InputError(at_model + ".tree_info: only one output group is supported");
    }
    const std::string at_tree = at_model + ".trees[" + std::to_string(t) + "]";
    // XGBoost files each tree under its id, so a repeated id leaves an empty slot that it
    // dereferences when predicting.
    const json& id = member(trees[t], "id", at_tree);
    if (!id.is_number_integer() || id.get<long long>() != static_cast<long long>(t)) {
      throw InputError(at_tree + ".id: expected " + std::to_string(t));
    }
    check_tree(trees[t], feature_count, at_tree);
  }
}

}  // namespace migpower
