#include "tradetrust/bill_template.h"

#include "tradetrust/bill_block.h"
#include "tradetrust/registry.h"

namespace onebill::tradetrust {

using json::Json;

Json bill_of_lading_template(const BillTemplate& terms) {
  OneBillBlock block;
  block.chain = terms.chain;
  block.issuer = terms.issuer;
  block.reference = terms.reference;
  block.kind = "BOL";
  block.to_order = terms.to_order;
  block.legs = {Leg{"RAIL", terms.issuer, "CNCKG", "CNQZH"}, Leg{"SEA", terms.sea_carrier, "CNQZH", "SGSIN"}};

  Json address_chongqing = {
      {"street", "1 Tuanjiecun Rail Port Road"}, {"city", "Chongqing"}, {"countryCode", "CN"}};
  Json address_singapore = {
      {"street", "10 Pasir Panjang Road"}, {"city", "Singapore"}, {"countryCode", "SG"}};

  Json raw = Json::object();
  raw["$template"] = {{"name", "BILL_OF_LADING"},
                      {"type", "EMBEDDED_RENDERER"},
                      {"url", "https://generic-templates.tradetrust.io"}};
  raw["issuers"] =
      Json::array({Json{{"name", terms.issuer_name},
                        {"tokenRegistry", registry_address(terms.chain).to_string()},
                        {"identityProof", {{"type", "DNS-TXT"}, {"location", terms.issuer_domain}}}}});
  raw["onebill"] = to_json(block);

  // DCSA eBL 3.0.4 TransportDocument: every required field, and the ones a multimodal bill needs.
  raw["transportDocumentReference"] = block.reference;
  raw["transportDocumentStatus"] = "ISSUED";
  raw["transportDocumentTypeCode"] = block.kind;
  raw["isShippedOnBoardType"] = false;  // received for shipment: the goods start on the rail leg
  raw["isElectronic"] = true;
  raw["isToOrder"] = block.to_order;
  raw["numberOfOriginalsWithCharges"] = 1;
  raw["numberOfOriginalsWithoutCharges"] = 0;
  raw["termsAndConditions"] =
      "Multimodal transport under the carrier's standard conditions; title is held on the OneBill ledger.";
  raw["receiptTypeAtOrigin"] = "CY";
  raw["deliveryTypeAtDestination"] = "CY";
  raw["cargoMovementTypeAtOrigin"] = "FCL";
  raw["cargoMovementTypeAtDestination"] = "FCL";
  raw["receivedForShipmentDate"] = "2026-01-05";
  raw["issueDate"] = "2026-01-05";
  raw["carrierCode"] = "CQRL";
  raw["carrierCodeListProvider"] = "NMFTA";
  raw["placeOfIssue"] = {{"locationName", "Chongqing"}, {"UNLocationCode", "CNCKG"}};
  raw["invoicePayableAt"] = {{"UNLocationCode", "CNCKG"}};
  raw["transports"] = {
      {"plannedDepartureDate", "2026-01-06"},
      {"plannedArrivalDate", "2026-01-16"},
      {"preCarriageBy", "Rail"},
      {"placeOfReceipt",
       {{"locationName", "Chongqing Tuanjiecun rail terminal"}, {"UNLocationCode", "CNCKG"}}},
      {"portOfLoading", {{"locationName", "Qinzhou"}, {"UNLocationCode", "CNQZH"}}},
      {"portOfDischarge", {{"locationName", "Singapore"}, {"UNLocationCode", "SGSIN"}}},
      {"vesselVoyages",
       Json::array({Json{{"vesselName", "NEW CORRIDOR"}, {"carrierExportVoyageNumber", "2601S"}}})}};
  raw["partyContactDetails"] =
      Json::array({Json{{"name", "Documentation desk"}, {"email", "docs@" + terms.issuer_domain}}});
  raw["documentParties"] = {
      {"shipper",
       {{"partyName", "Chongqing Precision Machinery Export Co."}, {"address", address_chongqing}}},
      {"notifyParties",
       Json::array({Json{{"partyName", "Lion City Imports Pte. Ltd."}, {"address", address_singapore}}})},
      {"issuingParty", {{"partyName", terms.issuer_name}, {"address", address_chongqing}}}};
  raw["consignmentItems"] = Json::array({Json{
      {"carrierBookingReference", "CQRL2601001"},
      {"descriptionOfGoods", Json::array({"CNC milling machines, crated"})},
      {"HSCodes", Json::array({"845961"})},
      {"cargoItems", Json::array({Json{{"equipmentReference", "CQRU1234565"},
                                       {"cargoGrossWeight", {{"value", 18250.5}, {"unit", "KGM"}}},
                                       {"outerPackaging",
                                        {{"numberOfPackages", 12}, {"description", "Wooden crates"}}}}})}}});
  raw["utilizedTransportEquipments"] =
      Json::array({Json{{"equipment",
                         {{"equipmentReference", "CQRU1234565"},
                          {"ISOEquipmentCode", "42G1"},
                          {"tareWeight", {{"value", 3800}, {"unit", "KGM"}}}}},
                        {"isShipperOwned", false},
                        {"seals", Json::array({Json{{"number", "CQ2601001"}}})}}});
  return raw;
}

}  // namespace onebill::tradetrust
