export {
  bodySignature,
  CLAM_EXE_SIGNATURE,
  CLAMAV_TESTFILES_DIR,
  EICAR,
  EICAR_SIGNATURE,
  hashSignature,
  writeTestSignatures as writeTestDatabase,
} from '../../src/local-scan/test-signatures';
