import { defineSubject } from '../src/suite.js'

defineSubject('clinical_knowledge')
