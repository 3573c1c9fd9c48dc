#include "tradetrust/bill_block.h"

#include <array>

#include "crypto/limits.h"

namespace onebill::tradetrust {
namespace {

using json::Json;

constexpr std::array<std::string_view, 5> leg_modes = {"SEA", "RAIL", "ROAD", "INLAND_WATERWAY", "AIR"};

Result<std::string> string_field(const Json& object, const char* key, const std::string& where) {
  auto found = object.find(key);
  if (found == object.end()) return invalid("invalid-body", where + "." + key + " is missing");
  if (!found->is_string()) return invalid("wrong-type", where + "." + key + " is not a string");
  return found->get<std::string>();
}

Result<Address> address_field(const Json& object, const char* key, const std::string& where) {
  auto text = string_field(object, key, where);
  if (!text) return text.problem();
  auto address = Address::parse(*text);
  if (!address) {
    Problem problem = address.problem();
    problem.detail = where + "." + key + ": " + problem.detail;
    return problem;
  }
  return *address;
}

bool is_unlocode(const std::string& text) {
  if (text.size() != 5) return false;
  for (std::size_t i = 0; i < 5; ++i) {
    char c = text[i];
    bool letter = c >= 'A' && c <= 'Z';
    bool digit = c >= '2' && c <= '9';
    if (i < 2 ? !letter : !(letter || digit)) return false;
  }
  return true;
}

bool is_chain_id(const std::string& text) {
  // ^[a-z0-9][a-z0-9-]{2,62}$ (DESIGN §3)
  if (text.size() < 3 || text.size() > 63) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool allowed = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && c == '-');
    if (!allowed) return false;
  }
  return true;
}

std::size_t utf8_characters(const std::string& text) {
  std::size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80 ? 1 : 0;
  return count;
}

Result<Leg> read_leg(const Json& value, const std::string& where) {
  if (!value.is_object()) return invalid("wrong-type", where + " is not an object");
  Leg leg;
  auto mode = string_field(value, "mode", where);
  if (!mode) return mode.problem();
  bool known = false;
  for (std::string_view name : leg_modes) known = known || *mode == name;
  if (!known)
    return invalid("invalid-body",
                   where + ".mode " + json::quote(*mode) + " is not SEA, RAIL, ROAD, INLAND_WATERWAY or AIR");
  leg.mode = *mode;
  auto carrier = address_field(value, "carrier", where);
  if (!carrier) return carrier.problem();
  leg.carrier = *carrier;
  for (auto [key, target] : {std::pair{"from", &leg.from}, std::pair{"to", &leg.to}}) {
    auto place = string_field(value, key, where);
    if (!place) return place.problem();
    if (!is_unlocode(*place))
      return invalid("invalid-body", where + "." + key + " is not a UN/LOCODE such as CNCKG");
    *target = *place;
  }
  return leg;
}

}  // namespace

Result<OneBillBlock> read_onebill_block(const Json& data) {
  if (!data.is_object() || !data.contains("onebill")) {
    return invalid("invalid-body", "the document has no `onebill` block; it is not a OneBill bill");
  }
  const Json& block = data.at("onebill");
  if (!block.is_object()) return invalid("wrong-type", "onebill is not an object");
  OneBillBlock out;
  auto chain = string_field(block, "chain", "onebill");
  if (!chain) return chain.problem();
  if (!is_chain_id(*chain))
    return invalid("invalid-body", "onebill.chain " + json::quote(*chain) + " is not a chain id");
  out.chain = *chain;
  auto issuer = address_field(block, "issuer", "onebill");
  if (!issuer) return issuer.problem();
  out.issuer = *issuer;
  auto reference = string_field(block, "reference", "onebill");
  if (!reference) return reference.problem();
  if (reference->empty() || utf8_characters(*reference) > limits::max_reference_chars) {
    return invalid("invalid-body", "onebill.reference must have 1 to " +
                                       std::to_string(limits::max_reference_chars) + " characters");
  }
  out.reference = *reference;
  auto kind = string_field(block, "kind", "onebill");
  if (!kind) return kind.problem();
  if (*kind != "BOL" && *kind != "SWB") return invalid("invalid-body", "onebill.kind must be BOL or SWB");
  out.kind = *kind;
  auto to_order = block.find("toOrder");
  if (to_order == block.end() || !to_order->is_boolean())
    return invalid("wrong-type", "onebill.toOrder is missing or not a boolean");
  out.to_order = to_order->get<bool>();
  auto legs = block.find("legs");
  if (legs == block.end() || !legs->is_array())
    return invalid("wrong-type", "onebill.legs is missing or not an array");
  if (legs->empty() || legs->size() > limits::max_legs) {
    return invalid("invalid-body",
                   "onebill.legs must list 1 to " + std::to_string(limits::max_legs) + " legs");
  }
  for (std::size_t i = 0; i < legs->size(); ++i) {
    auto leg = read_leg((*legs)[i], "onebill.legs[" + std::to_string(i) + "]");
    if (!leg) return leg.problem();
    if (!out.legs.empty() && out.legs.back().to != leg->from) {
      return invalid("invalid-body",
                     "onebill.legs[" + std::to_string(i) + "] does not start where the previous leg ends");
    }
    out.legs.push_back(std::move(*leg));
  }
  return out;
}

Status check_dcsa_agrees(const Json& data, const OneBillBlock& block) {
  auto reference = data.find("transportDocumentReference");
  if (reference == data.end() || *reference != Json(block.reference)) {
    return invalid("invalid-body", "transportDocumentReference differs from onebill.reference");
  }
  auto type_code = data.find("transportDocumentTypeCode");
  if (type_code == data.end() || *type_code != Json(block.kind)) {
    return invalid("invalid-body", "transportDocumentTypeCode differs from onebill.kind");
  }
  auto to_order = data.find("isToOrder");
  if (to_order == data.end() || *to_order != Json(block.to_order)) {
    return invalid("invalid-body", "isToOrder differs from onebill.toOrder");
  }
  return {};
}

Json to_json(const OneBillBlock& block) {
  Json legs = Json::array();
  for (const Leg& leg : block.legs) {
    legs.push_back(
        Json{{"mode", leg.mode}, {"carrier", leg.carrier.to_string()}, {"from", leg.from}, {"to", leg.to}});
  }
  return Json{{"chain", block.chain}, {"issuer", block.issuer.to_string()}, {"reference", block.reference},
              {"kind", block.kind},   {"toOrder", block.to_order},          {"legs", std::move(legs)}};
}

}  // namespace onebill::tradetrust
