import { defineSubject } from '../src/suite.js'

defineSubject('moral_disputes')
