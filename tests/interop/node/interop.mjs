// Digital Bazaar's Verifiable Credentials stack (@digitalbazaar/vc with the eddsa-rdfc-2022
// Data Integrity cryptosuite: what the Digital Credentials Consortium's verifier and Learner
// Credential Wallet build on), run by microcred's interoperability tests.
//
//   node interop.mjs verify REQUEST.json  -> {"verified": bool, "errors": [...]}
//   node interop.mjs issue REQUEST.json   -> {"credential": {...}, "publicKeyMultibase": "z6Mk..."}
//
// REQUEST holds "credential", "contexts" (URL -> file with the JSON-LD context) and, to verify,
// "documents" (URL or DID -> the controller document served there); to issue, "issuer" (the id
// the key's verification method lives under). Nothing is fetched from the network.
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022CryptoSuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {securityLoader} from '@digitalbazaar/security-document-loader';

const [mode, requestPath] = process.argv.slice(2);
const request = JSON.parse(readFileSync(requestPath, 'utf8'));

const loader = securityLoader();
for(const [url, path] of Object.entries(request.contexts || {})) {
  loader.addStatic(url, JSON.parse(readFileSync(path, 'utf8')));
}
const base = loader.build();
const documents = request.documents || {};

async function documentLoader(url) {
  const [doc, fragment] = url.split('#');
  if(doc in documents) {
    const controller = documents[doc];
    if(!fragment) {
      return {contextUrl: null, documentUrl: url, document: controller};
    }
    const method = (controller.verificationMethod || []).find(m => m.id === url);
    if(!method) {
      throw new Error(`${url} is not in the controller document of ${doc}`);
    }
    return {
      contextUrl: null,
      documentUrl: url,
      document: {'@context': 'https://w3id.org/security/multikey/v1', ...method}
    };
  }
  return base(url);
}

function errors(result) {
  const out = [];
  const walk = e => {
    if(!e) {
      return;
    }
    if(Array.isArray(e)) {
      e.forEach(walk);
      return;
    }
    out.push(String(e.message || e));
    walk(e.errors);
  };
  walk(result.error);
  for(const r of result.results || []) {
    walk(r.error);
  }
  return out;
}

if(mode === 'verify') {
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022CryptoSuite});
  const result = await vc.verifyCredential({credential: request.credential, suite, documentLoader});
  process.stdout.write(JSON.stringify({verified: result.verified, errors: errors(result)}) + '\n');
} else if(mode === 'issue') {
  const key = await Ed25519Multikey.generate({controller: request.issuer});
  key.id = `${request.issuer}#${key.publicKeyMultibase}`;
  const suite = new DataIntegrityProof({signer: key.signer(), cryptosuite: eddsaRdfc2022CryptoSuite});
  const credential = await vc.issue({credential: request.credential, suite, documentLoader});
  process.stdout.write(JSON.stringify({credential, publicKeyMultibase: key.publicKeyMultibase}) + '\n');
} else {
  process.stderr.write('usage: node interop.mjs verify|issue REQUEST.json\n');
  process.exit(2);
}
