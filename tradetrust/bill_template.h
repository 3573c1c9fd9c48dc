// A raw multimodal bill of lading for `onebill doc template`: DCSA eBL 3.0 TransportDocument fields for
// a China–Singapore corridor shipment (Chongqing CNCKG by rail to Qinzhou CNQZH, by sea to Singapore
// SGSIN), the `onebill` block with both legs, and issuers[0] as DESIGN §6 names it (tokenRegistry =
// the chain's registry, DNS-TXT identity at the issuer's domain). Edit, then `onebill doc wrap`.
#pragma once

#include <string>

#include "crypto/address.h"
#include "crypto/json.h"

namespace onebill::tradetrust {

struct BillTemplate {
  std::string chain = "onebill-demo";
  Address issuer;       // the rail carrier, which issues the bill
  Address sea_carrier;  // the carrier of the sea leg
  std::string issuer_name = "Chongqing Rail Logistics Co., Ltd.";
  std::string issuer_domain = "carrier-rail.example";
  std::string reference = "CKGSIN-0001";  // ≤ 20 characters (DCSA transportDocumentReference)
  bool to_order = true;
};

json::Json bill_of_lading_template(const BillTemplate& terms);

}  // namespace onebill::tradetrust
