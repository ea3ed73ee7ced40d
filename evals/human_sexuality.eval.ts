import { defineSubject } from '../src/suite.js'

defineSubject('human_sexuality')
